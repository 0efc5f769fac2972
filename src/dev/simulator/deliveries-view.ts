/** How the plugins fared with the events the simulator sent, read through the bot's store. */
import type { Store } from "../../storage/store.ts";

export interface DeliveryRow {
  eventId: string;
  plugin: string;
  status: string;
  attempts: number;
  error: string | null;
  updatedAt: number;
  /** The event's type. */
  type: string;
}

/** The deliveries of these events, the most recently updated first. */
export async function deliveriesOf(
  store: Store,
  eventIds: readonly string[],
): Promise<DeliveryRow[]> {
  const rows = await Promise.all(
    eventIds.map(async (eventId) => {
      const [event, records] = await Promise.all([
        store.readEvent(eventId),
        store.deliveriesOf(eventId),
      ]);
      const type = event?.parsed.type ?? "unknown";
      return records.map((record) => ({
        // As the page knows it: LINE's webhookEventId, without the channel it is stored behind.
        eventId: eventId.slice(eventId.indexOf("/") + 1),
        plugin: record.plugin,
        status: record.status,
        attempts: record.attempts,
        error: record.lastError,
        updatedAt: record.updatedAt,
        type,
      }));
    }),
  );
  return rows.flat().sort((a, b) => b.updatedAt - a.updatedAt);
}
