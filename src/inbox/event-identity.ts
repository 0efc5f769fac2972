import { createHash } from "node:crypto";

interface IdentifiableEvent {
  webhookEventId?: unknown;
  source?: unknown;
}

/**
 * LINE's webhookEventId when present; otherwise a hash of the event's content, so a redelivery of
 * an older payload without ids still dedups.
 */
export function eventIdOf(event: IdentifiableEvent, json: string): string {
  const id = event.webhookEventId;
  if (typeof id === "string" && id.length > 0) return id;
  return `derived-${createHash("sha256").update(json).digest("hex").slice(0, 32)}`;
}

/**
 * The chat an event belongs to: the unit of ordering. Events without a chat (e.g. botSuspended)
 * are each their own unit, so they never wait on one another.
 */
export function chatKeyOf(event: IdentifiableEvent, eventId: string): string {
  const source = event.source as
    | { type?: unknown; userId?: unknown; groupId?: unknown; roomId?: unknown }
    | undefined;
  if (source && typeof source === "object") {
    if (source.type === "group" && typeof source.groupId === "string")
      return `group:${source.groupId}`;
    if (source.type === "room" && typeof source.roomId === "string") return `room:${source.roomId}`;
    if (source.type === "user" && typeof source.userId === "string") return `user:${source.userId}`;
  }
  return `event:${eventId}`;
}
