/**
 * A reply token's use in the SQLite store: the event's first attempt on its inbox row, and which
 * deliveries had messages in an attempt, recorded before the call (the exactly-once rule for
 * replies). The writes run inside the caller's write.
 */
import type { ReplyAttempts } from "../store.ts";
import type { DeliveryTable } from "./deliveries.ts";
import type { InboxTable } from "./inbox.ts";

export interface ReplyTables {
  inbox: InboxTable;
  deliveries: DeliveryTable;
}

export function readReplyAttempts(tables: ReplyTables, eventId: string): ReplyAttempts {
  const attemptedAt = tables.inbox.get(eventId)?.replyAttemptedAt ?? null;
  if (attemptedAt === null) return { attemptedAt, plugins: new Set() };
  const plugins = tables.deliveries
    .forEvent(eventId)
    .filter((delivery) => delivery.replyAttempted)
    .map((delivery) => delivery.plugin);
  return { attemptedAt, plugins: new Set(plugins) };
}

/** The event's first attempt, with these plugins' messages; false when one is on record. */
export function claimReplyToken(
  tables: ReplyTables,
  eventId: string,
  plugins: string[],
  now: number,
): boolean {
  if (!tables.inbox.claimReplyToken(eventId, now)) return false;
  tables.deliveries.setReplyAttempted(eventId, plugins, true, now);
  return true;
}

/** Another attempt on a token already tried (a rerun's), with these plugins' messages. */
export function markReplyAttempted(
  tables: ReplyTables,
  eventId: string,
  plugins: string[],
  now: number,
): void {
  tables.inbox.markReplyAttempted(eventId, now);
  tables.deliveries.setReplyAttempted(eventId, plugins, true, now);
}
