import { and, asc, eq, gte, inArray, lte, type SQL } from "drizzle-orm";
import { readSent } from "../../core/sent.ts";
import type { SqlDatabase } from "../../platform/mod.ts";
import type { HistoryEntry, HistoryQuery } from "../store.ts";
import { recordColumns } from "./inbox.ts";
import { deliveries, inboxEvents } from "./schema.ts";

/**
 * Stored events with their deliveries and what each sent, by timestamp then arrival. Reads only:
 * the store answers the admin API with it, and the replay tools run it on a read-only connection.
 */
export function readHistory(db: SqlDatabase, query: HistoryQuery): HistoryEntry[] {
  const where: SQL[] = [];
  if (query.chatKey !== undefined) where.push(eq(inboxEvents.chatKey, query.chatKey));
  if (query.eventIds !== undefined) where.push(inArray(inboxEvents.id, [...query.eventIds]));
  if (query.since !== undefined) where.push(gte(inboxEvents.timestamp, query.since));
  if (query.until !== undefined) where.push(lte(inboxEvents.timestamp, query.until));
  const events = db
    .select(recordColumns)
    .from(inboxEvents)
    .where(and(...where))
    .orderBy(asc(inboxEvents.timestamp), asc(inboxEvents.seq))
    .limit(query.limit)
    .all();
  if (events.length === 0) return [];
  const rows = db
    .select({
      eventId: deliveries.eventId,
      plugin: deliveries.plugin,
      status: deliveries.status,
      attempts: deliveries.attempts,
      lastError: deliveries.lastError,
      sent: deliveries.sent,
    })
    .from(deliveries)
    .where(
      inArray(
        deliveries.eventId,
        events.map((event) => event.id),
      ),
    )
    .orderBy(asc(deliveries.plugin))
    .all();
  return events.map((event) => ({
    event,
    deliveries: rows
      .filter((row) => row.eventId === event.id)
      .map(({ eventId: _, sent, ...row }) => ({ ...row, sent: readSent(sent) })),
  }));
}
