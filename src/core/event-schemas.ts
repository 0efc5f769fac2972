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
import { type MessageContent, messageContentSchema } from "./message-content.ts";
import { open, optStr, str, type Typed } from "./schema-kit.ts";
import { sourceSchema, userSourceSchema } from "./sources.ts";

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

const knownEventTypes: ReadonlySet<string> = new Set(KNOWN_EVENT_TYPES);

export function isKnownEventType(type: string): type is KnownEventType {
  return knownEventTypes.has(type);
}

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

// ---------------------------------------------------------------- envelope

/** The request body. `destination` is absent from some of LINE's own SDK examples. */
export const webhookEnvelopeSchema = z.looseObject({
  destination: optStr,
  events: z.array(z.unknown()),
});
export type WebhookEnvelope = z.infer<typeof webhookEnvelopeSchema>;
