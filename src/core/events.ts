/**
 * The LINE webhook event model: zod schemas are the single source of truth, types are inferred.
 *
 * Lenient on purpose: LINE's own examples (docs and official SDK tests) omit fields the OpenAPI
 * file calls required, and LINE adds event types, message types and enum values without notice.
 * So only what an event means is required (its `type` and its payload); transport metadata
 * (`timestamp`, `mode`, `webhookEventId`, `deliveryContext`, `source`, `replyToken`, quote and
 * read tokens) is optional, every object is loose (unknown fields are kept, never stripped), and
 * enumerations accept values LINE has not documented yet.
 */
import { z } from "zod";

export const KNOWN_EVENT_TYPES = [
  "message",
  "messageEdited",
  "unsend",
  "follow",
  "unfollow",
  "join",
  "leave",
  "memberJoined",
  "memberLeft",
  "postback",
  "videoPlayComplete",
  "beacon",
  "accountLink",
  "membership",
  "module",
  "activated",
  "deactivated",
  "botSuspended",
  "botResumed",
  "delivery",
] as const;
export type KnownEventType = (typeof KNOWN_EVENT_TYPES)[number];

export const KNOWN_MESSAGE_TYPES = [
  "text",
  "image",
  "video",
  "audio",
  "file",
  "location",
  "sticker",
] as const;
export type KnownMessageType = (typeof KNOWN_MESSAGE_TYPES)[number];

export const CHAT_TYPES = ["user", "group", "room"] as const;
export type ChatType = (typeof CHAT_TYPES)[number];

const knownEventTypes: ReadonlySet<string> = new Set(KNOWN_EVENT_TYPES);
const knownMessageTypes: ReadonlySet<string> = new Set(KNOWN_MESSAGE_TYPES);

export function isKnownEventType(type: string): type is KnownEventType {
  return knownEventTypes.has(type);
}

export function isKnownMessageType(type: string): type is KnownMessageType {
  return knownMessageTypes.has(type);
}

/**
 * A string enumeration LINE may extend: documented values autocomplete, any other string still
 * parses (a new sticker resource type must not turn a sticker into an unknown event).
 */
function open<T extends string>() {
  return z.string() as z.ZodType<T | (string & {})>;
}

const str = z.string();
const optStr = z.string().optional();

// ---------------------------------------------------------------- sources

export const userSourceSchema = z.looseObject({
  type: z.literal("user"),
  // The OpenAPI file leaves it optional, the reference and every example have it: it is the chat.
  userId: str,
});
export const groupSourceSchema = z.looseObject({
  type: z.literal("group"),
  groupId: str,
  /** Only in message events, and only for users who consented. */
  userId: optStr,
});
export const roomSourceSchema = z.looseObject({
  type: z.literal("room"),
  roomId: str,
  /** Only in message events, and only for users who consented. */
  userId: optStr,
});
export const sourceSchema = z.discriminatedUnion("type", [
  userSourceSchema,
  groupSourceSchema,
  roomSourceSchema,
]);

/**
 * The schemas are loose (unknown fields are kept at run time), but the types handlers see list only
 * the documented fields: a misspelt property is a compile error, not a silent `unknown`.
 */
type Typed<T> = T extends string | number | boolean | bigint | symbol | null | undefined
  ? T
  : T extends readonly (infer U)[]
    ? Typed<U>[]
    : T extends object
      ? { [K in keyof T as string extends K ? never : number extends K ? never : K]: Typed<T[K]> }
      : T;

export type UserSource = Typed<z.infer<typeof userSourceSchema>>;
export type GroupSource = Typed<z.infer<typeof groupSourceSchema>>;
export type RoomSource = Typed<z.infer<typeof roomSourceSchema>>;
export type Source = Typed<z.infer<typeof sourceSchema>>;

// ---------------------------------------------------------------- common fields

const eventModeSchema = open<"active" | "standby">();
export type EventMode = Typed<z.infer<typeof eventModeSchema>>;

const deliveryContextSchema = z.looseObject({ isRedelivery: z.boolean() });
export type DeliveryContext = Typed<z.infer<typeof deliveryContextSchema>>;

const baseShape = {
  timestamp: z.number().optional(),
  /** `standby`: another channel (a module) has the chat; send nothing. */
  mode: eventModeSchema.optional(),
  webhookEventId: optStr,
  deliveryContext: deliveryContextSchema.optional(),
  /** Absent for module/bot-state/delivery events and for a failed account link. */
  source: sourceSchema.optional(),
};
/** Only on the types LINE documents as replyable; absent in standby mode. */
const replyShape = { replyToken: optStr };

// ---------------------------------------------------------------- message contents

export const contentProviderSchema = z.looseObject({
  type: open<"line" | "external">(),
  /** Only for `external`; content of a `line` provider is fetched by message id. */
  originalContentUrl: optStr,
  previewImageUrl: optStr,
});
export type ContentProvider = Typed<z.infer<typeof contentProviderSchema>>;

const emojiSchema = z.looseObject({
  index: z.number(),
  length: z.number(),
  productId: str,
  emojiId: str,
});
export type Emoji = Typed<z.infer<typeof emojiSchema>>;

// One loose object rather than a user/all union, so a mentionee type LINE adds later still parses.
const mentioneeSchema = z.looseObject({
  type: open<"user" | "all">(),
  index: z.number(),
  length: z.number(),
  /** `user` only, and only with the user's consent. */
  userId: optStr,
  /** `user` only: true when the bot receiving the webhook is the one mentioned. */
  isSelf: z.boolean().optional(),
});
export type Mentionee = Typed<z.infer<typeof mentioneeSchema>>;

const mentionSchema = z.looseObject({ mentionees: z.array(mentioneeSchema) });
export type Mention = Typed<z.infer<typeof mentionSchema>>;

const messageShape = {
  id: str,
  /** Edit events carry none. */
  markAsReadToken: optStr,
};

export const textMessageSchema = z.looseObject({
  ...messageShape,
  type: z.literal("text"),
  text: str,
  // Required by the OpenAPI file, missing from most SDK examples.
  quoteToken: optStr,
  emojis: z.array(emojiSchema).optional(),
  mention: mentionSchema.optional(),
  quotedMessageId: optStr,
});
export const imageMessageSchema = z.looseObject({
  ...messageShape,
  type: z.literal("image"),
  contentProvider: contentProviderSchema,
  /** Several images sent at once; index/total are missing from old Android clients. */
  imageSet: z
    .looseObject({ id: str, index: z.number().optional(), total: z.number().optional() })
    .optional(),
  quoteToken: optStr,
});
export const videoMessageSchema = z.looseObject({
  ...messageShape,
  type: z.literal("video"),
  /** Milliseconds. */
  duration: z.number().optional(),
  contentProvider: contentProviderSchema,
  quoteToken: optStr,
});
export const audioMessageSchema = z.looseObject({
  ...messageShape,
  type: z.literal("audio"),
  /** Milliseconds. */
  duration: z.number().optional(),
  contentProvider: contentProviderSchema,
});
export const fileMessageSchema = z.looseObject({
  ...messageShape,
  type: z.literal("file"),
  fileName: str,
  /** Bytes. */
  fileSize: z.number(),
});
export const locationMessageSchema = z.looseObject({
  ...messageShape,
  type: z.literal("location"),
  title: optStr,
  address: optStr,
  latitude: z.number(),
  longitude: z.number(),
});
export const stickerMessageSchema = z.looseObject({
  ...messageShape,
  type: z.literal("sticker"),
  packageId: str,
  stickerId: str,
  stickerResourceType: open<
    | "STATIC"
    | "ANIMATION"
    | "SOUND"
    | "ANIMATION_SOUND"
    | "POPUP"
    | "POPUP_SOUND"
    | "CUSTOM"
    | "MESSAGE"
    | "NAME_TEXT"
    | "PER_STICKER_TEXT"
  >(),
  /** Experimental on LINE's side: up to 15, a random pick each time. */
  keywords: z.array(str).optional(),
  /** Message stickers only. */
  text: optStr,
  quoteToken: optStr,
  quotedMessageId: optStr,
});

export const messageContentSchema = z.discriminatedUnion("type", [
  textMessageSchema,
  imageMessageSchema,
  videoMessageSchema,
  audioMessageSchema,
  fileMessageSchema,
  locationMessageSchema,
  stickerMessageSchema,
]);

export type TextMessage = Typed<z.infer<typeof textMessageSchema>>;
export type ImageMessage = Typed<z.infer<typeof imageMessageSchema>>;
export type VideoMessage = Typed<z.infer<typeof videoMessageSchema>>;
export type AudioMessage = Typed<z.infer<typeof audioMessageSchema>>;
export type FileMessage = Typed<z.infer<typeof fileMessageSchema>>;
export type LocationMessage = Typed<z.infer<typeof locationMessageSchema>>;
export type StickerMessage = Typed<z.infer<typeof stickerMessageSchema>>;
export type MessageContent = Typed<z.infer<typeof messageContentSchema>>;

// ---------------------------------------------------------------- events

const messageEventSchema = z.looseObject({
  ...baseShape,
  ...replyShape,
  type: z.literal("message"),
  message: messageContentSchema,
});
// LINE documents text only, but the message object is the same: accept any known content.
const messageEditedEventSchema = z.looseObject({
  ...baseShape,
  ...replyShape,
  type: z.literal("messageEdited"),
  message: messageContentSchema,
});
const unsendEventSchema = z.looseObject({
  ...baseShape,
  type: z.literal("unsend"),
  unsend: z.looseObject({ messageId: str }),
});
const followEventSchema = z.looseObject({
  ...baseShape,
  ...replyShape,
  type: z.literal("follow"),
  // Newer than most examples: absent from all but the current docs'.
  follow: z.looseObject({ isUnblocked: z.boolean() }).optional(),
});
const unfollowEventSchema = z.looseObject({ ...baseShape, type: z.literal("unfollow") });
const joinEventSchema = z.looseObject({ ...baseShape, ...replyShape, type: z.literal("join") });
const leaveEventSchema = z.looseObject({ ...baseShape, type: z.literal("leave") });
const memberJoinedEventSchema = z.looseObject({
  ...baseShape,
  ...replyShape,
  type: z.literal("memberJoined"),
  joined: z.looseObject({ members: z.array(userSourceSchema) }),
});
const memberLeftEventSchema = z.looseObject({
  ...baseShape,
  type: z.literal("memberLeft"),
  left: z.looseObject({ members: z.array(userSourceSchema) }),
});
const postbackEventSchema = z.looseObject({
  ...baseShape,
  ...replyShape,
  type: z.literal("postback"),
  postback: z.looseObject({
    data: str,
    params: z
      .looseObject({
        /** Datetime picker, by mode. */
        date: optStr,
        time: optStr,
        datetime: optStr,
        /** Rich menu switch action; the alias is missing when the switch failed. */
        newRichMenuAliasId: optStr,
        status: open<
          "SUCCESS" | "RICHMENU_ALIAS_ID_NOTFOUND" | "RICHMENU_NOTFOUND" | "FAILED"
        >().optional(),
      })
      .optional(),
  }),
});
const videoPlayCompleteEventSchema = z.looseObject({
  ...baseShape,
  ...replyShape,
  type: z.literal("videoPlayComplete"),
  videoPlayComplete: z.looseObject({ trackingId: str }),
});
const beaconEventSchema = z.looseObject({
  ...baseShape,
  ...replyShape,
  type: z.literal("beacon"),
  beacon: z.looseObject({
    hwid: str,
    type: open<"enter" | "banner" | "stay">(),
    /** Device message, from beacons that support it. */
    dm: optStr,
  }),
});
const accountLinkEventSchema = z.looseObject({
  ...baseShape,
  // replyToken and source are absent when the link failed.
  ...replyShape,
  type: z.literal("accountLink"),
  link: z.looseObject({ result: open<"ok" | "failed">(), nonce: str }),
});
const membershipEventSchema = z.looseObject({
  ...baseShape,
  ...replyShape,
  type: z.literal("membership"),
  membership: z.looseObject({
    type: open<"joined" | "left" | "renewed">(),
    membershipId: z.number(),
  }),
});
const moduleEventSchema = z.looseObject({
  ...baseShape,
  type: z.literal("module"),
  module: z.looseObject({
    type: open<"attached" | "detached">(),
    botId: str,
    /** `attached` only. */
    scopes: z.array(str).optional(),
    /** `detached` only, and missing from LINE's own detached example. */
    reason: open<"bot_deleted">().optional(),
  }),
});
const activatedEventSchema = z.looseObject({
  ...baseShape,
  type: z.literal("activated"),
  chatControl: z.looseObject({ expireAt: z.number() }),
});
const deactivatedEventSchema = z.looseObject({ ...baseShape, type: z.literal("deactivated") });
const botSuspendedEventSchema = z.looseObject({ ...baseShape, type: z.literal("botSuspended") });
const botResumedEventSchema = z.looseObject({ ...baseShape, type: z.literal("botResumed") });
const deliveryEventSchema = z.looseObject({
  ...baseShape,
  type: z.literal("delivery"),
  /** A hashed phone number, or the `X-Line-Delivery-Tag` the notification was sent with. */
  delivery: z.looseObject({ data: str }),
});

/** The schema of each known event type: parseEvent picks one by `type` instead of a wide union. */
export const eventSchemas = {
  message: messageEventSchema,
  messageEdited: messageEditedEventSchema,
  unsend: unsendEventSchema,
  follow: followEventSchema,
  unfollow: unfollowEventSchema,
  join: joinEventSchema,
  leave: leaveEventSchema,
  memberJoined: memberJoinedEventSchema,
  memberLeft: memberLeftEventSchema,
  postback: postbackEventSchema,
  videoPlayComplete: videoPlayCompleteEventSchema,
  beacon: beaconEventSchema,
  accountLink: accountLinkEventSchema,
  membership: membershipEventSchema,
  module: moduleEventSchema,
  activated: activatedEventSchema,
  deactivated: deactivatedEventSchema,
  botSuspended: botSuspendedEventSchema,
  botResumed: botResumedEventSchema,
  delivery: deliveryEventSchema,
} as const satisfies Record<KnownEventType, z.ZodType>;

export type MessageEvent = Typed<z.infer<typeof messageEventSchema>>;
export type MessageEditedEvent = Typed<z.infer<typeof messageEditedEventSchema>>;
export type UnsendEvent = Typed<z.infer<typeof unsendEventSchema>>;
export type FollowEvent = Typed<z.infer<typeof followEventSchema>>;
export type UnfollowEvent = Typed<z.infer<typeof unfollowEventSchema>>;
export type JoinEvent = Typed<z.infer<typeof joinEventSchema>>;
export type LeaveEvent = Typed<z.infer<typeof leaveEventSchema>>;
export type MemberJoinedEvent = Typed<z.infer<typeof memberJoinedEventSchema>>;
export type MemberLeftEvent = Typed<z.infer<typeof memberLeftEventSchema>>;
export type PostbackEvent = Typed<z.infer<typeof postbackEventSchema>>;
export type VideoPlayCompleteEvent = Typed<z.infer<typeof videoPlayCompleteEventSchema>>;
export type BeaconEvent = Typed<z.infer<typeof beaconEventSchema>>;
export type AccountLinkEvent = Typed<z.infer<typeof accountLinkEventSchema>>;
export type MembershipEvent = Typed<z.infer<typeof membershipEventSchema>>;
export type ModuleEvent = Typed<z.infer<typeof moduleEventSchema>>;
export type ActivatedEvent = Typed<z.infer<typeof activatedEventSchema>>;
export type DeactivatedEvent = Typed<z.infer<typeof deactivatedEventSchema>>;
export type BotSuspendedEvent = Typed<z.infer<typeof botSuspendedEventSchema>>;
export type BotResumedEvent = Typed<z.infer<typeof botResumedEventSchema>>;
export type DeliveryEvent = Typed<z.infer<typeof deliveryEventSchema>>;

/** Every known event, discriminated by `type`. */
export type WebhookEvent = Typed<z.infer<(typeof eventSchemas)[KnownEventType]>>;
export type EventOfType<T extends KnownEventType> = Extract<WebhookEvent, { type: T }>;
// An intersection, not Omit: Omit on a type with an index signature drops every named field.
export type MessageEventOf<M extends MessageContent> = MessageEvent & { message: M };

/**
 * Anything else: an unknown event type or message type, or a known type whose body failed its
 * schema. Only the common fields are checked (loosely: a source of a type LINE adds later passes),
 * so code that stores or routes events can trust them when present.
 */
export const unknownEventSchema = z.looseObject({
  type: str,
  timestamp: z.number().optional(),
  mode: eventModeSchema.optional(),
  webhookEventId: optStr,
  deliveryContext: z.looseObject({ isRedelivery: z.boolean().optional() }).optional(),
  source: z.looseObject({ type: str, userId: optStr, groupId: optStr, roomId: optStr }).optional(),
  replyToken: optStr,
});
export type UnknownEvent = z.infer<typeof unknownEventSchema>;

export type ParsedEvent =
  | { kind: "known"; event: WebhookEvent }
  | { kind: "unknown"; event: UnknownEvent; reason: string };

// ---------------------------------------------------------------- envelope

/** The request body. `destination` is absent from some of LINE's own SDK examples. */
export const webhookEnvelopeSchema = z.looseObject({
  destination: optStr,
  events: z.array(z.unknown()),
});
export type WebhookEnvelope = z.infer<typeof webhookEnvelopeSchema>;

// ---------------------------------------------------------------- parsing

// A Map, not the object above: `raw.type` is untrusted and "constructor" must not find a schema.
const schemaByType: ReadonlyMap<string, z.ZodType> = new Map(Object.entries(eventSchemas));

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`)
    .join("; ");
}

function unknownEvent(
  raw: Record<string, unknown> & { type: string },
  reason: string,
): ParsedEvent {
  if (unknownEventSchema.safeParse(raw).success) {
    return { kind: "unknown", event: raw as UnknownEvent, reason };
  }
  return invalidEvent(raw, `${reason}; and its common fields are malformed`);
}

/** Kept whole under `raw`: the value's own fields cannot be trusted to match UnknownEvent. */
function invalidEvent(raw: unknown, reason: string): ParsedEvent {
  return { kind: "unknown", event: { type: "invalid", raw }, reason };
}

/**
 * Classifies one element of `events`. Never throws.
 *
 * A returned event is the input object itself, not zod's copy: the schemas have no transforms or
 * defaults, so a successful parse proves the input already has the output type, and returning it
 * keeps every field, its key order and its identity. Values that are not an object with a string
 * `type`, or whose common fields have the wrong types, come back as `{ type: "invalid", raw }`.
 */
export function parseEvent(raw: unknown): ParsedEvent {
  if (!isRecord(raw) || typeof raw.type !== "string") {
    return invalidEvent(raw, "not an object with a string `type`");
  }
  const event = raw as Record<string, unknown> & { type: string };
  const schema = schemaByType.get(event.type);
  if (!schema) return unknownEvent(event, `unknown event type "${event.type}"`);

  if (event.type === "message" || event.type === "messageEdited") {
    const message = event.message;
    if (
      isRecord(message) &&
      typeof message.type === "string" &&
      !isKnownMessageType(message.type)
    ) {
      return unknownEvent(event, `unknown message type "${message.type}"`);
    }
  }

  const result = schema.safeParse(event);
  if (result.success) return { kind: "known", event: event as WebhookEvent };
  return unknownEvent(event, `malformed ${event.type} event: ${describe(result.error)}`);
}
