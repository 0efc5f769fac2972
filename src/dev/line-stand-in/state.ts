/**
 * What the stand-in platform knows: tokens, retry keys, profiles, chats, rich menus, content, and
 * what was sent.
 */

import { BoundedContents } from "./bounded-contents.ts";
import { ChatState } from "./chat-state.ts";
import { RichMenuState } from "./rich-menu-state.ts";
import type {
  BotInfo,
  ContentSpec,
  LineStandInOptions,
  Profile,
  RecordedCast,
  RecordedLinkToken,
  RecordedPush,
  RecordedReply,
  SentMessage,
  SentMessageObject,
} from "./types.ts";
import { lineError, type Outcome, randomToken } from "./wire.ts";

/** Types a user can quote, so LINE returns a quoteToken for them. */
const QUOTABLE_TYPES = new Set(["text", "textV2", "sticker"]);

export function isQuotable(message: SentMessageObject): boolean {
  return QUOTABLE_TYPES.has(message.type);
}

export interface WebhookInfo {
  endpoint: string;
  active: boolean;
}

/** The parts of a webhook event the platform learns from. */
export interface ObservedEvent {
  type?: unknown;
  replyToken?: unknown;
  source?: { type?: unknown; userId?: unknown; groupId?: unknown; roomId?: unknown };
}

/** LINE: "Reply tokens must be used within one minute" of receiving the webhook. */
export const REPLY_TOKEN_TTL_MS = 60_000;
/** LINE: a redelivered token is void once "20 minutes have passed since the event occurred". */
export const REDELIVERY_WINDOW_MS = 20 * 60_000;
/** LINE: "The retry key management period on the LINE Platform side is 24 hours". */
export const RETRY_KEY_TTL_MS = 24 * 60 * 60 * 1000;

export const DEFAULT_BOT_USER_ID = "U4f7d5c1e8a2b4c6d9e0f1a2b3c4d5e6f";

interface ReplyTokenState {
  /** First delivery, taken as the event's time. */
  firstIssuedAt: number;
  /** Latest delivery: each redelivery gives the same token another minute. */
  issuedAt: number;
  used: boolean;
}

export interface AcceptedRetryKey {
  requestId: string;
  sentMessages: SentMessage[];
  at: number;
}

export interface StoredContent extends Partial<ContentSpec> {
  gone?: 404 | 410;
}

export class PlatformState {
  readonly now: () => number;
  readonly strictReplyTokens: boolean;
  readonly unknownUsers: "generate" | "notFound";
  readonly botInfo: BotInfo;

  readonly replyTokens = new Map<string, ReplyTokenState>();
  readonly retryKeys = new Map<string, AcceptedRetryKey>();
  readonly profiles = new Map<string, Profile>();
  readonly contents = new BoundedContents<StoredContent>();
  readonly chats = new ChatState();
  /** The `default` channel's rich menus; `richMenusOf` gives any channel's (LINE's are per channel). */
  readonly richMenus = new RichMenuState();
  readonly #otherRichMenus = new Map<string, RichMenuState>();
  /** Users who follow the bot: broadcasts and narrowcasts go to them. */
  readonly followers = new Set<string>();
  readonly monthlyQuota: number | undefined;
  quotaUsed = 0;
  webhook: WebhookInfo;

  replies: RecordedReply[] = [];
  pushes: RecordedPush[] = [];
  linkTokens: RecordedLinkToken[] = [];
  casts: RecordedCast[] = [];
  markedAsRead: string[] = [];

  // LINE message ids are 18-digit numbers sent as strings.
  private nextMessageId = 500_000_000_000_000_000n;

  constructor(options: LineStandInOptions) {
    this.now = options.now ?? Date.now;
    this.strictReplyTokens = options.strictReplyTokens ?? true;
    this.unknownUsers = options.unknownUsers ?? "generate";
    this.monthlyQuota = options.monthlyQuota;
    this.webhook = {
      endpoint: options.webhookEndpoint ?? "https://example.com/webhook",
      active: true,
    };
    this.botInfo = {
      basicId: "@hotline",
      displayName: "hotline (local)",
      chatMode: "bot",
      markAsReadMode: "auto",
      ...options.botInfo,
      userId: options.botUserId ?? DEFAULT_BOT_USER_ID,
    };
  }

  richMenusOf(channel = "default"): RichMenuState {
    if (channel === "default") return this.richMenus;
    let menus = this.#otherRichMenus.get(channel);
    if (!menus) {
      menus = new RichMenuState();
      this.#otherRichMenus.set(channel, menus);
    }
    return menus;
  }

  /** Every channel's rich menus that has any state, the default's first. */
  richMenuChannels(): Array<[string, RichMenuState]> {
    return [["default", this.richMenus], ...this.#otherRichMenus];
  }

  /** Issuing a known token is a redelivery: it never revives a used token. */
  issueReplyToken(token: string): void {
    const now = this.now();
    const known = this.replyTokens.get(token);
    if (known === undefined)
      this.replyTokens.set(token, { firstIssuedAt: now, issuedAt: now, used: false });
    else known.issuedAt = now;
  }

  /** Uses the token if it is valid; false for a used, expired or (in strict mode) unknown token. */
  consumeReplyToken(token: string): boolean {
    const state = this.replyTokens.get(token);
    if (state === undefined) {
      if (this.strictReplyTokens) return false;
      const now = this.now();
      this.replyTokens.set(token, { firstIssuedAt: now, issuedAt: now, used: true });
      return true;
    }
    const now = this.now();
    if (state.used || now - state.issuedAt >= REPLY_TOKEN_TTL_MS) return false;
    if (now - state.firstIssuedAt >= REDELIVERY_WINDOW_MS) return false;
    state.used = true;
    return true;
  }

  acceptedRetryKey(key: string): AcceptedRetryKey | undefined {
    const accepted = this.retryKeys.get(key);
    if (accepted === undefined || this.now() - accepted.at >= RETRY_KEY_TTL_MS) return undefined;
    return accepted;
  }

  acceptRetryKey(key: string, accepted: AcceptedRetryKey): void {
    this.retryKeys.set(key, accepted);
  }

  send(messages: SentMessageObject[]): SentMessage[] {
    return messages.map((message) => {
      const id = String(this.nextMessageId++);
      return isQuotable(message) ? { id, quoteToken: randomToken(43) } : { id };
    });
  }

  /**
   * Counts messages against the monthly quota (one per recipient, as LINE counts); LINE's 429
   * when they would exceed it, and nothing is counted then.
   */
  consumeQuota(recipients: number): Outcome | undefined {
    const quota = this.monthlyQuota;
    if (quota !== undefined && this.quotaUsed + recipients > quota)
      return lineError(429, "You have reached your monthly limit.");
    this.quotaUsed += recipients;
    return undefined;
  }

  /** What LINE knows because it sent the event: its reply token, followers, chat members. */
  observe(event: ObservedEvent): void {
    if (typeof event.replyToken === "string") this.issueReplyToken(event.replyToken);
    const userId = event.source?.userId;
    if (event.source?.type === "user" && typeof userId === "string") {
      if (event.type === "unfollow") this.followers.delete(userId);
      else this.followers.add(userId);
    }
    this.chats.observe(event);
  }

  profile(userId: string): Profile | undefined {
    const known = this.profiles.get(userId);
    if (known !== undefined || this.unknownUsers === "notFound") return known;
    return { userId, displayName: `User ${userId.slice(-4)}` };
  }

  setContent(messageId: string, change: StoredContent): void {
    this.contents.set(messageId, { ...this.contents.get(messageId), ...change });
  }

  clearRecords(): void {
    this.replies = [];
    this.pushes = [];
    this.linkTokens = [];
    this.casts = [];
    this.markedAsRead = [];
  }
}
