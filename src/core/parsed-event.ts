import type { z } from "zod";
import { DEFAULT_CHANNEL } from "./channel.ts";
import { eventIdOf } from "./event-id.ts";
import {
  eventSchemas,
  type UnknownEvent,
  unknownEventSchema,
  type WebhookEvent,
} from "./event-schemas.ts";
import { isKnownMessageType } from "./message-content.ts";
import { type ChatRef, chatKeyOf, chatOf } from "./sources.ts";

/** What the event is: a known type that passed its schema, or anything else, kept as it came. */
export type EventBody =
  | { kind: "known"; event: WebhookEvent }
  | { kind: "unknown"; event: UnknownEvent; reason: string };

/**
 * One webhook event as every layer sees it: classified once, with the facts each layer needs
 * (identity, chat, ordering key, reply token) read once from the untrusted body.
 */
export type ParsedEvent = EventBody & {
  /** The LINE channel it came to ("default": the environment's). */
  readonly channel: string;
  /**
   * LINE's webhookEventId, or one derived from the content (see `eventIdOf`); of another channel
   * than the default, behind its name (`shop/…`), so that ids are unique per channel.
   */
  readonly id: string;
  /** The event's `type`, or "invalid" when the body is not an object with a string type. */
  readonly type: string;
  /** When it happened at LINE; the time it was received when the body has none. */
  readonly timestamp: number;
  readonly chat: ChatRef | undefined;
  /**
   * Events of one chat key are processed one at a time, in timestamp order. Of another channel
   * than the default, behind its name too: the same user or group id is another chat there.
   */
  readonly chatKey: string;
  readonly replyToken: string | undefined;
  /** Another channel has the chat: nothing may be sent in reply. */
  readonly standby: boolean;
};

/** An event as received: parsed, and as text to store (nothing of it dropped). */
export interface ReceivedEvent {
  parsed: ParsedEvent;
  body: string;
  /** The bot's user id, from the request's envelope. */
  destination: string | undefined;
}

// A Map, not the object: `raw.type` is untrusted and "constructor" must not find a schema.
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

function unknownEvent(raw: Record<string, unknown> & { type: string }, reason: string): EventBody {
  if (unknownEventSchema.safeParse(raw).success) {
    return { kind: "unknown", event: raw as UnknownEvent, reason };
  }
  return invalidEvent(raw, `${reason}; and its common fields are malformed`);
}

/** Kept whole under `raw`: the value's own fields cannot be trusted to match UnknownEvent. */
function invalidEvent(raw: unknown, reason: string): EventBody {
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
export function classifyEvent(raw: unknown): EventBody {
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

/** An id or chat key of `channel`: the default channel's stay as they always were. */
export function inChannel(channel: string, key: string): string {
  return channel === DEFAULT_CHANNEL ? key : `${channel}/${key}`;
}

/**
 * Classifies the event and reads its identity; `receivedAt` stands in for a missing timestamp.
 * `channel` is the one whose webhook took it.
 */
export function parseEvent(
  raw: unknown,
  receivedAt: number,
  channel = DEFAULT_CHANNEL,
): ParsedEvent {
  const body = classifyEvent(raw);
  const fields = isRecord(raw) ? raw : {};
  const id = inChannel(channel, eventIdOf(raw));
  const chat = chatOf(fields.source);
  const { timestamp, replyToken } = fields;
  return {
    ...body,
    channel,
    id,
    type: typeof fields.type === "string" ? fields.type : "invalid",
    timestamp: typeof timestamp === "number" && Number.isFinite(timestamp) ? timestamp : receivedAt,
    chat,
    chatKey: chat ? inChannel(channel, chatKeyOf(chat, id)) : chatKeyOf(chat, id),
    replyToken: typeof replyToken === "string" ? replyToken : undefined,
    standby: fields.mode === "standby",
  };
}
