/**
 * Where an event comes from: the chat it belongs to, which is also the `to` of a push and the
 * unit of ordering.
 */
import { z } from "zod";
import { optStr, str, type Typed } from "./schema-kit.ts";

export const CHAT_TYPES = ["user", "group", "room"] as const;
export type ChatType = (typeof CHAT_TYPES)[number];

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

export type UserSource = Typed<z.infer<typeof userSourceSchema>>;
export type GroupSource = Typed<z.infer<typeof groupSourceSchema>>;
export type RoomSource = Typed<z.infer<typeof roomSourceSchema>>;
export type Source = Typed<z.infer<typeof sourceSchema>>;

/** A chat: the `to` of a push. */
export interface ChatRef {
  type: ChatType;
  /** userId, groupId or roomId. */
  id: string;
}

/** The chat a `source` names, if any. Reads untrusted input: the event may be malformed. */
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
 * The unit of ordering: the chat, or, for events without one (e.g. botSuspended), the event
 * itself, so such events never wait on one another.
 */
export function chatKeyOf(chat: ChatRef | undefined, eventId: string): string {
  return chat ? `${chat.type}:${chat.id}` : `event:${eventId}`;
}
