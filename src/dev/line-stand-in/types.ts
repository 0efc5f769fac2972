/** Public types of the LINE Platform stand-in. */

export interface LineStandInOptions {
  /** The only bearer token accepted. */
  channelAccessToken: string;
  /** The bot's own user id, as `GET /v2/bot/info` reports it. */
  botUserId?: string;
  /** Other `GET /v2/bot/info` fields. */
  botInfo?: Partial<Omit<BotInfo, "userId">>;
  /** Milliseconds since the epoch; every expiry (reply tokens, retry keys) reads this clock. */
  now?: () => number;
  /**
   * true (default): only tokens from `issueReplyToken()` are valid, like LINE.
   * false: an unknown token is accepted once, for hand-written events in local mode.
   */
  strictReplyTokens?: boolean;
  /**
   * Look-ups of users never given to `setProfile`, and of groups and rooms never seen: answered
   * as if known (a generated profile, an empty chat; the default) or 404.
   */
  unknownUsers?: "generate" | "notFound";
  /** The monthly message quota `GET /v2/bot/message/quota` reports; none (unlimited) by default. */
  monthlyQuota?: number;
  /** What `GET /v2/bot/channel/webhook/endpoint` reports. */
  webhookEndpoint?: string;
  /**
   * A file that keeps the rich menus (and their images, links, aliases and the default) across
   * stand-ins, as LINE keeps them across a bot's restarts (local mode). None by default.
   */
  richMenuFile?: string;
}

export interface BotInfo {
  userId: string;
  basicId: string;
  premiumId?: string;
  displayName: string;
  pictureUrl?: string;
  chatMode: "chat" | "bot";
  markAsReadMode: "auto" | "manual";
}

export interface Profile {
  userId: string;
  displayName: string;
  pictureUrl?: string;
  statusMessage?: string;
  language?: string;
}

export type TranscodingStatus = "processing" | "succeeded" | "failed";

export interface ContentSpec {
  bytes: Uint8Array;
  contentType: string;
  /** Only video and audio are transcoded by LINE; setting this marks the content as such. */
  transcoding?: TranscodingStatus;
  /** Bytes served by `/content/preview` (images and videos only); defaults to `bytes`. */
  preview?: Uint8Array;
  /**
   * Serve as a chunked stream without Content-Length, for callers that must cope with an unknown
   * length. Default: one body with Content-Length, as LINE sends it.
   */
  chunked?: boolean;
}

/** A message object as sent, once it passed LINE's rules (src/line/validate.ts). */
export interface SentMessageObject {
  type: string;
  [property: string]: unknown;
}

export interface SentMessage {
  id: string;
  quoteToken?: string;
}

export interface RecordedRequest {
  /** `x-line-request-id` answered. */
  requestId: string;
  method: string;
  /** URL path without the query string. */
  path: string;
  /** Parsed JSON body, or null (no body, or not JSON). */
  body: unknown;
  /** Lower-cased request headers, without `authorization`. */
  headers: Record<string, string>;
  retryKey: string | null;
  /** HTTP status answered. */
  status: number;
  /** The channel whose token the request bore (none: no valid token). */
  channel?: string;
  /** True when a fault injected the answer: the request had no effect. */
  faulted: boolean;
  /** Clock reading when the request arrived. */
  at: number;
}

export interface RecordedReply {
  replyToken: string;
  messages: SentMessageObject[];
  notificationDisabled: boolean;
  sentMessages: SentMessage[];
}

export interface RecordedPush {
  to: string;
  messages: SentMessageObject[];
  notificationDisabled: boolean;
  retryKey: string | null;
  sentMessages: SentMessage[];
}

/** A multicast, narrowcast or broadcast LINE accepted, with the users it went to. */
export interface RecordedCast {
  kind: "multicast" | "narrowcast" | "broadcast";
  requestId: string;
  to: string[];
  messages: SentMessageObject[];
  at?: number;
}

export interface RecordedLinkToken {
  userId: string;
  linkToken: string;
  at: number;
}

export interface FaultSpec {
  /** Any method when omitted. */
  method?: string;
  /** Exact path (no query string), or a pattern tested against the path. */
  path: string | RegExp;
  /** Status to answer with; omit for a delay-only fault (the request is then handled normally). */
  status?: number;
  /** JSON body (a string is sent as text/plain); defaults to LINE's error shape for the status. */
  body?: unknown;
  /** Sends `Retry-After`. */
  retryAfterSeconds?: number;
  /** Wait this long before answering. */
  delayMs?: number;
  /** How many matching requests this fault applies to; default 1, `Infinity` for all. */
  times?: number;
}
