import { createHash } from "node:crypto";
import type { ChatRef } from "../sdk/context.ts";

interface IdentifiableEvent {
  webhookEventId?: unknown;
  source?: unknown;
}

/** JSON with object keys sorted at every level: the same content always gives the same text. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>;
    const fields = Object.keys(record)
      .sort()
      .filter((key) => record[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`);
    return `{${fields.join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/**
 * LINE's webhookEventId when present; otherwise a hash of the event's content, so a redelivery of
 * an older payload without ids still dedups. The hash ignores key order and `deliveryContext`: a
 * redelivery differs from the original only in `isRedelivery`.
 */
export function eventIdOf(raw: unknown): string {
  const event = raw !== null && typeof raw === "object" && !Array.isArray(raw) ? raw : undefined;
  const id = (event as IdentifiableEvent | undefined)?.webhookEventId;
  if (typeof id === "string" && id.length > 0) return id;
  const content = canonicalJson(event ? { ...event, deliveryContext: undefined } : raw);
  return `derived-${createHash("sha256").update(content).digest("hex").slice(0, 32)}`;
}

/** The chat a `source` names (userId, groupId or roomId: the `to` of a push), if any. */
export function chatOf(source: unknown): ChatRef | undefined {
  if (!source || typeof source !== "object") return undefined;
  const { type, userId, groupId, roomId } = source as Record<string, unknown>;
  const id =
    type === "group" ? groupId : type === "room" ? roomId : type === "user" ? userId : undefined;
  return typeof id === "string" && (type === "user" || type === "group" || type === "room")
    ? { type, id }
    : undefined;
}

/**
 * The chat an event belongs to: the unit of ordering. Events without a chat (e.g. botSuspended)
 * are each their own unit, so they never wait on one another.
 */
export function chatKeyOf(event: IdentifiableEvent, eventId: string): string {
  const chat = chatOf(event.source);
  return chat ? `${chat.type}:${chat.id}` : `event:${eventId}`;
}
