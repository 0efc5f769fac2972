/**
 * The simulator's only read of the bot's tables: how the plugins fared with the events it sent.
 * Kept in this one module so the read can move behind the storage layer without touching the rest.
 */
import { desc, eq, inArray } from "drizzle-orm";
import type { SqlDatabase } from "../../platform/mod.ts";
import { deliveries, inboxEvents } from "../../storage/schema.ts";

export interface DeliveryRow {
  eventId: string;
  plugin: string;
  status: string;
  attempts: number;
  error: string | null;
  updatedAt: number;
  /** The event's type, from the inbox. */
  type: string;
}

/** The deliveries of these events, the most recently updated first. */
export function deliveriesOf(db: SqlDatabase, eventIds: readonly string[]): DeliveryRow[] {
  if (eventIds.length === 0) return [];
  return db
    .select({
      eventId: deliveries.eventId,
      plugin: deliveries.plugin,
      status: deliveries.status,
      attempts: deliveries.attempts,
      error: deliveries.lastError,
      updatedAt: deliveries.updatedAt,
      type: inboxEvents.type,
    })
    .from(deliveries)
    .innerJoin(inboxEvents, eq(inboxEvents.id, deliveries.eventId))
    .where(inArray(deliveries.eventId, [...eventIds]))
    .orderBy(desc(deliveries.updatedAt))
    .all();
}
