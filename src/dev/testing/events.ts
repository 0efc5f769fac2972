/**
 * Factories for webhook events in tests: each returns an event in LINE's strict shape (ULID
 * webhookEventId, replyToken where the type has one, timestamp, mode, deliveryContext, source),
 * typed by the event model.
 *
 *   event.text("hello")
 *   event.text("hi @bot", { chat: group(), mention: [{ at: "@bot", isSelf: true }] })
 *   event.postback("action=buy", { params: { date: "2025-01-01" } })
 *   event.follow({ mode: "standby" })   // standby events carry no replyToken
 *
 * Web-standard APIs only (no Bun.*, no node:*): plugin tests may run under Deno.
 */
import type {
  AccountLinkEvent,
  ActivatedEvent,
  AudioMessage,
  BeaconEvent,
  BotResumedEvent,
  BotSuspendedEvent,
  ContentProvider,
  DeactivatedEvent,
  DeliveryContext,
  DeliveryEvent,
  Emoji,
  EventMode,
  FileMessage,
  FollowEvent,
  GroupSource,
  ImageMessage,
  JoinEvent,
  LeaveEvent,
  LocationMessage,
  MemberJoinedEvent,
  MemberLeftEvent,
  MembershipEvent,
  Mentionee,
  MessageContent,
  MessageEditedEvent,
  MessageEventOf,
  ModuleEvent,
  PostbackEvent,
  RoomSource,
  Source,
  StickerMessage,
  TextMessage,
  UnfollowEvent,
  UnsendEvent,
  UserSource,
  VideoMessage,
  VideoPlayCompleteEvent,
  WebhookEnvelope,
} from "../../core/events.ts";

// Ids in LINE's formats (U/C/R + 32 hex), recognisable as test values.
export const DEFAULT_USER_ID = "U0123456789abcdef0123456789abcdef";
export const DEFAULT_GROUP_ID = "C0123456789abcdef0123456789abcdef";
export const DEFAULT_ROOM_ID = "R0123456789abcdef0123456789abcdef";
/** The bot's own user id: the envelope's `destination`. */
export const BOT_USER_ID = "Ufedcba9876543210fedcba9876543210";

// ---------------------------------------------------------------- clock and ids

let clock: () => number = Date.now;

/** Where timestamps (and the time part of webhookEventIds) come from; no argument restores Date.now. */
export function setEventClock(now?: () => number): void {
  clock = now ?? Date.now;
}

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
let lastTime = -1;
const lastRandom = new Uint8Array(10);

/**
 * A ULID: 10 characters of millisecond time, 16 of randomness. Within one millisecond the random
 * part is incremented instead of redrawn, so ids from a frozen clock stay unique and ordered.
 */
export function ulid(time: number = clock()): string {
  if (time === lastTime) {
    for (let i = lastRandom.length - 1; i >= 0; i--) {
      lastRandom[i] = ((lastRandom[i] ?? 0) + 1) & 0xff;
      if (lastRandom[i] !== 0) break;
    }
  } else {
    crypto.getRandomValues(lastRandom);
    lastTime = time;
  }
  let timePart = "";
  let t = Math.max(0, Math.floor(time));
  for (let i = 0; i < 10; i++) {
    timePart = CROCKFORD[t % 32] + timePart;
    t = Math.floor(t / 32);
  }
  let randomPart = "";
  let bits = 0;
  let value = 0;
  for (const byte of lastRandom) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      randomPart += CROCKFORD[(value >>> bits) & 31];
    }
    value &= (1 << bits) - 1;
  }
  return timePart + randomPart;
}

function randomFrom(alphabet: string, length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  let out = "";
  for (const byte of bytes) out += alphabet[byte % alphabet.length];
  return out;
}

const HEX = "0123456789abcdef";
const ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** LINE message ids are decimal strings of about 18 digits. */
export function messageId(): string {
  return randomFrom("123456789", 1) + randomFrom("0123456789", 17);
}

function replyToken(): string {
  return randomFrom(HEX, 32);
}

function quoteToken(): string {
  return randomFrom(ALNUM, 24);
}

// ---------------------------------------------------------------- chats

export function user(userId: string = DEFAULT_USER_ID): UserSource {
  return { type: "user", userId };
}

/** A group chat; `userId` (the sender, message events only) defaults to DEFAULT_USER_ID, null omits it. */
export function group(
  groupId: string = DEFAULT_GROUP_ID,
  userId: string | null = DEFAULT_USER_ID,
): GroupSource {
  return userId === null ? { type: "group", groupId } : { type: "group", groupId, userId };
}

/** A multi-person chat; `userId` as for group(). */
export function room(
  roomId: string = DEFAULT_ROOM_ID,
  userId: string | null = DEFAULT_USER_ID,
): RoomSource {
  return userId === null ? { type: "room", roomId } : { type: "room", roomId, userId };
}

// ---------------------------------------------------------------- common fields

export type EventOverrides = {
  timestamp?: number;
  /** `standby` also drops the default replyToken, as LINE does. */
  mode?: EventMode;
  /** The event's `source`; null omits it. */
  chat?: Source | null;
  webhookEventId?: string;
  /** null omits it. */
  replyToken?: string | null;
  deliveryContext?: Partial<DeliveryContext>;
};

/** What every factory sets, whatever LINE's schema leaves optional. */
export type Made<E> = E & {
  webhookEventId: string;
  timestamp: number;
  deliveryContext: DeliveryContext;
};

/** The id of an event made here, for events whose static type no longer shows it is set. */
export function eventId(e: { webhookEventId?: string }): string {
  if (!e.webhookEventId) throw new Error("event has no webhookEventId: was it made by a factory?");
  return e.webhookEventId;
}

type Common = {
  timestamp: number;
  mode: EventMode;
  webhookEventId: string;
  deliveryContext: DeliveryContext;
  source?: Source;
  replyToken?: string;
};

function common(o: EventOverrides, defaults: { chat: Source | null; replyable: boolean }): Common {
  const timestamp = o.timestamp ?? clock();
  const mode = o.mode ?? "active";
  const fields: Common = {
    timestamp,
    mode,
    webhookEventId: o.webhookEventId ?? ulid(timestamp),
    deliveryContext: { isRedelivery: false, ...o.deliveryContext },
  };
  const source = o.chat === undefined ? defaults.chat : o.chat;
  if (source) fields.source = source;
  let token = o.replyToken;
  if (token === undefined) token = defaults.replyable && mode !== "standby" ? replyToken() : null;
  if (token !== null) fields.replyToken = token;
  return fields;
}

// ---------------------------------------------------------------- message events

export type MessageOptions = EventOverrides & {
  /** The message id; random by default. */
  messageId?: string;
  markAsReadToken?: string;
};
type Quotable = { quoteToken?: string };

function messageEvent<M extends MessageContent>(
  o: MessageOptions,
  message: M,
): Made<MessageEventOf<M>> {
  return { type: "message", ...common(o, { chat: user(), replyable: true }), message };
}

function messageFields(o: MessageOptions) {
  return {
    id: o.messageId ?? messageId(),
    ...(o.markAsReadToken === undefined ? {} : { markAsReadToken: o.markAsReadToken }),
  };
}

/**
 * A mention, either as LINE sends it or located by the text it covers: `{ at: "@bot" }` finds
 * "@bot" in the message (after the previous mention) and fills in index and length.
 */
export type MentionInput =
  | Mentionee
  | { at: string; type?: "user" | "all"; userId?: string; isSelf?: boolean };

export type TextOptions = MessageOptions &
  Quotable & {
    mention?: MentionInput[];
    emojis?: Emoji[];
    quotedMessageId?: string;
  };

function mentionees(text: string, inputs: MentionInput[]): Mentionee[] {
  let from = 0;
  return inputs.map((input) => {
    if ("index" in input) return input;
    const index = text.indexOf(input.at, from);
    if (index < 0) throw new Error(`mention "${input.at}" not found in "${text}"`);
    from = index + input.at.length;
    const type = input.type ?? "user";
    return {
      index,
      length: input.at.length,
      type,
      ...(type === "user"
        ? {
            userId: input.userId ?? (input.isSelf ? BOT_USER_ID : DEFAULT_USER_ID),
            isSelf: input.isSelf ?? false,
          }
        : {}),
    };
  });
}

function textMessage(text: string, o: TextOptions): TextMessage {
  return {
    ...messageFields(o),
    type: "text",
    quoteToken: o.quoteToken ?? quoteToken(),
    text,
    ...(o.emojis ? { emojis: o.emojis } : {}),
    ...(o.mention ? { mention: { mentionees: mentionees(text, o.mention) } } : {}),
    ...(o.quotedMessageId === undefined ? {} : { quotedMessageId: o.quotedMessageId }),
  };
}

function text(text: string, o: TextOptions = {}): Made<MessageEventOf<TextMessage>> {
  return messageEvent(o, textMessage(text, o));
}

export type MediaOptions = MessageOptions & {
  /** Defaults to `{ type: "line" }`: content fetched from LINE by message id. */
  contentProvider?: ContentProvider;
};

function image(
  o: MediaOptions & Quotable & { imageSet?: { id: string; index?: number; total?: number } } = {},
): Made<MessageEventOf<ImageMessage>> {
  return messageEvent(o, {
    ...messageFields(o),
    type: "image",
    quoteToken: o.quoteToken ?? quoteToken(),
    contentProvider: o.contentProvider ?? { type: "line" },
    ...(o.imageSet ? { imageSet: o.imageSet } : {}),
  });
}

function video(
  o: MediaOptions & Quotable & { duration?: number } = {},
): Made<MessageEventOf<VideoMessage>> {
  return messageEvent(o, {
    ...messageFields(o),
    type: "video",
    quoteToken: o.quoteToken ?? quoteToken(),
    duration: o.duration ?? 60_000,
    contentProvider: o.contentProvider ?? { type: "line" },
  });
}

function audio(o: MediaOptions & { duration?: number } = {}): Made<MessageEventOf<AudioMessage>> {
  return messageEvent(o, {
    ...messageFields(o),
    type: "audio",
    duration: o.duration ?? 60_000,
    contentProvider: o.contentProvider ?? { type: "line" },
  });
}

function file(
  fileName = "file.txt",
  fileSize = 2138,
  o: MessageOptions = {},
): Made<MessageEventOf<FileMessage>> {
  return messageEvent(o, { ...messageFields(o), type: "file", fileName, fileSize });
}

/** Defaults to Tokyo Station. */
function location(
  latitude = 35.681236,
  longitude = 139.767125,
  o: MessageOptions & { title?: string; address?: string } = {},
): Made<MessageEventOf<LocationMessage>> {
  return messageEvent(o, {
    ...messageFields(o),
    type: "location",
    ...(o.title === undefined ? {} : { title: o.title }),
    ...(o.address === undefined ? {} : { address: o.address }),
    latitude,
    longitude,
  });
}

/** Defaults to a basic LINE sticker (package 446, sticker 1988). */
function sticker(
  packageId = "446",
  stickerId = "1988",
  o: MessageOptions &
    Quotable & {
      stickerResourceType?: StickerMessage["stickerResourceType"];
      keywords?: string[];
      text?: string;
      quotedMessageId?: string;
    } = {},
): Made<MessageEventOf<StickerMessage>> {
  return messageEvent(o, {
    ...messageFields(o),
    type: "sticker",
    quoteToken: o.quoteToken ?? quoteToken(),
    packageId,
    stickerId,
    stickerResourceType: o.stickerResourceType ?? "STATIC",
    ...(o.keywords ? { keywords: o.keywords } : {}),
    ...(o.text === undefined ? {} : { text: o.text }),
    ...(o.quotedMessageId === undefined ? {} : { quotedMessageId: o.quotedMessageId }),
  });
}

/** An edit of a text message; pass the original's `messageId` to edit a known message. */
function messageEdited(
  text: string,
  o: TextOptions = {},
): MessageEditedEvent & { message: TextMessage } {
  const { markAsReadToken: _noReadTokenOnEdits, ...rest } = o;
  return {
    type: "messageEdited",
    ...common(o, { chat: user(), replyable: true }),
    message: textMessage(text, rest),
  };
}

// ---------------------------------------------------------------- other events

function unsend(messageId: string, o: EventOverrides = {}): Made<UnsendEvent> {
  return {
    type: "unsend",
    ...common(o, { chat: user(), replyable: false }),
    unsend: { messageId },
  };
}

function follow(o: EventOverrides & { isUnblocked?: boolean } = {}): Made<FollowEvent> {
  return {
    type: "follow",
    ...common(o, { chat: user(), replyable: true }),
    follow: { isUnblocked: o.isUnblocked ?? false },
  };
}

function unfollow(o: EventOverrides = {}): Made<UnfollowEvent> {
  return { type: "unfollow", ...common(o, { chat: user(), replyable: false }) };
}

type GroupOverrides = Omit<EventOverrides, "chat">;

/** The bot joined `chat` (a group by default; no sender in the source, as LINE sends it). */
function join(
  chat: GroupSource | RoomSource = group(DEFAULT_GROUP_ID, null),
  o: GroupOverrides = {},
): Made<JoinEvent> {
  return { type: "join", ...common({ ...o, chat }, { chat, replyable: true }) };
}

function leave(
  chat: GroupSource | RoomSource = group(DEFAULT_GROUP_ID, null),
  o: GroupOverrides = {},
): Made<LeaveEvent> {
  return { type: "leave", ...common({ ...o, chat }, { chat, replyable: false }) };
}

/** Users joined the group (or `chat` option) the bot is in. */
function memberJoined(
  userIds: string[] = [DEFAULT_USER_ID],
  o: EventOverrides = {},
): Made<MemberJoinedEvent> {
  return {
    type: "memberJoined",
    ...common(o, { chat: group(DEFAULT_GROUP_ID, null), replyable: true }),
    joined: { members: userIds.map((id) => user(id)) },
  };
}

function memberLeft(
  userIds: string[] = [DEFAULT_USER_ID],
  o: EventOverrides = {},
): Made<MemberLeftEvent> {
  return {
    type: "memberLeft",
    ...common(o, { chat: group(DEFAULT_GROUP_ID, null), replyable: false }),
    left: { members: userIds.map((id) => user(id)) },
  };
}

function postback(
  data: string,
  o: EventOverrides & { params?: NonNullable<PostbackEvent["postback"]["params"]> } = {},
): Made<PostbackEvent> {
  return {
    type: "postback",
    ...common(o, { chat: user(), replyable: true }),
    postback: o.params ? { data, params: o.params } : { data },
  };
}

function videoPlayComplete(
  trackingId: string,
  o: EventOverrides = {},
): Made<VideoPlayCompleteEvent> {
  return {
    type: "videoPlayComplete",
    ...common(o, { chat: user(), replyable: true }),
    videoPlayComplete: { trackingId },
  };
}

function beacon(
  type: BeaconEvent["beacon"]["type"] = "enter",
  hwid = "d41d8cd98f",
  o: EventOverrides & { dm?: string } = {},
): Made<BeaconEvent> {
  return {
    type: "beacon",
    ...common(o, { chat: user(), replyable: true }),
    beacon: o.dm === undefined ? { hwid, type } : { hwid, type, dm: o.dm },
  };
}

/** A failed link carries neither replyToken nor source, as LINE sends it. */
function accountLink(
  result: AccountLinkEvent["link"]["result"] = "ok",
  nonce: string = randomFrom(ALNUM, 16),
  o: EventOverrides = {},
): Made<AccountLinkEvent> {
  const ok = result === "ok";
  return {
    type: "accountLink",
    ...common(o, { chat: ok ? user() : null, replyable: ok }),
    link: { result, nonce },
  };
}

function membership(
  type: MembershipEvent["membership"]["type"] = "joined",
  membershipId = 3189,
  o: EventOverrides = {},
): Made<MembershipEvent> {
  return {
    type: "membership",
    ...common(o, { chat: user(), replyable: true }),
    membership: { type, membershipId },
  };
}

/** Module channel attached/detached: no source, no reply. */
function moduleEvent(
  type: ModuleEvent["module"]["type"] = "attached",
  o: EventOverrides & {
    botId?: string;
    scopes?: string[];
    reason?: ModuleEvent["module"]["reason"];
  } = {},
): Made<ModuleEvent> {
  const botId = o.botId ?? BOT_USER_ID;
  return {
    type: "module",
    ...common(o, { chat: null, replyable: false }),
    module:
      type === "attached"
        ? { type, botId, scopes: o.scopes ?? ["message:send", "message:receive"] }
        : { type, botId, reason: o.reason ?? "bot_deleted" },
  };
}

/** The module channel became active until `expireAt` (default: an hour after the timestamp). */
function activated(o: EventOverrides & { expireAt?: number } = {}): Made<ActivatedEvent> {
  const fields = common(o, { chat: user(), replyable: false });
  return {
    type: "activated",
    ...fields,
    chatControl: { expireAt: o.expireAt ?? fields.timestamp + 3_600_000 },
  };
}

function deactivated(o: EventOverrides = {}): Made<DeactivatedEvent> {
  return { type: "deactivated", ...common(o, { chat: user(), replyable: false }) };
}

function botSuspended(o: EventOverrides = {}): Made<BotSuspendedEvent> {
  return { type: "botSuspended", ...common(o, { chat: null, replyable: false }) };
}

function botResumed(o: EventOverrides = {}): Made<BotResumedEvent> {
  return { type: "botResumed", ...common(o, { chat: null, replyable: false }) };
}

/** A LINE notification message was delivered; `data` is a hashed phone number or a delivery tag. */
function delivery(data: string = randomFrom(HEX, 64), o: EventOverrides = {}): Made<DeliveryEvent> {
  return { type: "delivery", ...common(o, { chat: null, replyable: false }), delivery: { data } };
}

export const event = {
  text,
  image,
  video,
  audio,
  file,
  location,
  sticker,
  messageEdited,
  unsend,
  follow,
  unfollow,
  join,
  leave,
  memberJoined,
  memberLeft,
  postback,
  videoPlayComplete,
  beacon,
  accountLink,
  membership,
  module: moduleEvent,
  activated,
  deactivated,
  botSuspended,
  botResumed,
  delivery,
};

/** A webhook request body carrying `events`. */
export function envelope(
  events: readonly object[],
  destination: string = BOT_USER_ID,
): WebhookEnvelope {
  return { destination, events: [...events] };
}
