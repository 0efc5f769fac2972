import { eq, inArray, sql } from "drizzle-orm";
import type { SqlDatabase } from "../../platform/mod.ts";
import type { EventStatus, InboxDepth } from "../store.ts";
import { inboxEvents } from "./schema.ts";

const OPEN = ["pending", "active"] as const;

/**
 * Cheap enough to run on every scrape: the count and the smallest `seq` (the rowid, which every
 * index carries) come from the `(status, …)` index alone, and `seq` order is arrival order, so
 * the oldest open event is then one primary-key look-up.
 */
export function inboxDepth(db: SqlDatabase): InboxDepth {
  const row = db
    .select({ open: sql<number>`count(*)`, first: sql<number | null>`min(${inboxEvents.seq})` })
    .from(inboxEvents)
    .where(inArray(inboxEvents.status, [...OPEN]))
    .get();
  if (!row || row.first === null) return { open: row?.open ?? 0, oldestReceivedAt: undefined };
  const oldest = db
    .select({ receivedAt: inboxEvents.receivedAt })
    .from(inboxEvents)
    .where(eq(inboxEvents.seq, row.first))
    .get();
  return { open: row.open, oldestReceivedAt: oldest?.receivedAt };
}

/** Stored events per status (an index-only scan; `done` ones are kept for the retention period). */
export function eventCounts(db: SqlDatabase): Record<EventStatus, number> {
  const counts = { pending: 0, active: 0, done: 0 };
  const rows = db
    .select({ status: inboxEvents.status, n: sql<number>`count(*)` })
    .from(inboxEvents)
    .groupBy(inboxEvents.status)
    .all();
  for (const row of rows) counts[row.status] = row.n;
  return counts;
}
