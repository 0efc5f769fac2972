/**
 * Plugins' sessions as they travel between the store, the dispatcher and a plugin's worker: JSON
 * text per scope, keyed by what the event says (its chat, its sender, both for a dialog).
 */
import { inChannel, type ParsedEvent } from "./parsed-event.ts";

export const SESSION_SCOPES = ["chat", "user", "dialog"] as const;
export type SessionScope = (typeof SESSION_SCOPES)[number];

/**
 * A plugin's sessions for one delivery: per scope the event has a key for, the stored JSON, or
 * null for none.
 */
export type StoredSessions = Partial<Record<SessionScope, string | null>>;

/** One session a run changed: its new JSON text, or null to delete it; when it expires. */
export interface SessionChange {
  value: string | null;
  expiresAt: number | null;
}
export type SessionChanges = Partial<Record<SessionScope, SessionChange>>;

/** A session's JSON may be this long at most: state, not storage (use tables for more). */
export const MAX_SESSION_TEXT = 64 << 10;

/** The session key of a user's dialog in a chat: both, since a group has many users. */
export function dialogKey(chatKey: string, userId: string): string {
  return `${chatKey}|${userId}`;
}

/** The sender's user id, when the event names one. */
export function senderOf(parsed: ParsedEvent): string | undefined {
  const source = (parsed.event as { source?: { userId?: unknown } }).source;
  return typeof source?.userId === "string" ? source.userId : undefined;
}

/** Each scope's key for the event; a scope the event cannot have (no chat, no sender) is absent. */
export function sessionKeysOf(parsed: ParsedEvent): Partial<Record<SessionScope, string>> {
  const sender = senderOf(parsed);
  // A user id is per provider: another channel's user with the same id keeps state of their own.
  const user = sender === undefined ? undefined : inChannel(parsed.channel, sender);
  const chat = parsed.chat ? parsed.chatKey : undefined;
  return {
    ...(chat ? { chat } : {}),
    ...(user ? { user } : {}),
    ...(chat && sender ? { dialog: dialogKey(chat, sender) } : {}),
  };
}
