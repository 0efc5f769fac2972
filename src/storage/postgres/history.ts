import { readSent } from "../../core/sent.ts";
import type { DeliveryStatus, HistoryEntry, HistoryQuery, InboxRecord } from "../store.ts";
import type { Sql } from "./connection.ts";

interface DeliveryRow {
  eventId: string;
  plugin: string;
  status: DeliveryStatus;
  attempts: number;
  lastError: string | null;
  sent: unknown;
}

/**
 * Stored events with their deliveries and what each sent, by timestamp then arrival. Reads only:
 * the store answers the admin API with it, and the replay tools run it in a read-only transaction.
 * A running delivery reads as pending, as the Store's statuses have it.
 */
export async function readHistory(sql: Sql, query: HistoryQuery): Promise<HistoryEntry[]> {
  const conditions = [
    query.chatKey === undefined ? sql`true` : sql`chat_key = ${query.chatKey}`,
    query.eventIds === undefined ? sql`true` : sql`id = any(${[...query.eventIds]})`,
    query.since === undefined ? sql`true` : sql`timestamp >= ${query.since}`,
    query.until === undefined ? sql`true` : sql`timestamp <= ${query.until}`,
  ];
  const where = conditions.reduce((all, next) => sql`${all} and ${next}`);
  const events = await sql<InboxRecord[]>`
    select seq, id, chat_key as "chatKey", type, timestamp, received_at as "receivedAt",
      destination, body, status
    from inbox_events where ${where}
    order by timestamp, seq limit ${query.limit}`;
  if (events.length === 0) return [];
  const rows = await sql<DeliveryRow[]>`
    select event_id as "eventId", plugin,
      case when status = 'running' then 'pending' else status end as status,
      attempts, last_error as "lastError", sent
    from deliveries where event_id = any(${events.map((event) => event.id)})
    order by plugin`;
  return events.map((event) => ({
    event: { ...event },
    deliveries: rows
      .filter((row) => row.eventId === event.id)
      .map(({ eventId: _, sent, ...row }) => ({ ...row, sent: readSent(sent) })),
  }));
}
