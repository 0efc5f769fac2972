/** How the plugins fared with the events the simulator sent, read through the bot's store. */
import type { ShadowAnswer } from "../../shadow/shadow-log.ts";
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
  /** What the plugin's next version (a shadow run) would have sent, in short; null: no run. */
  shadow: string | null;
}

/** A shadow run's answer in one line: its texts (other messages by type), or its error. */
function shadowLine(answer: ShadowAnswer | undefined): string | null {
  if (!answer) return null;
  if (answer.error !== null) return `failed: ${answer.error}`;
  const messages = answer.sent.flatMap((batch) => batch.messages) as Array<{
    type: string;
    text?: string;
  }>;
  if (messages.length === 0) return "(nothing)";
  return messages.map((m) => (m.type === "text" ? `"${m.text}"` : `[${m.type}]`)).join(" · ");
}

/** The deliveries of these events, the most recently updated first. */
export async function deliveriesOf(
  store: Store,
  eventIds: readonly string[],
  shadow?: { answersTo(eventId: string): Record<string, ShadowAnswer> },
): Promise<DeliveryRow[]> {
  const rows = await Promise.all(
    eventIds.map(async (eventId) => {
      const [event, records] = await Promise.all([
        store.readEvent(eventId),
        store.deliveriesOf(eventId),
      ]);
      const type = event?.parsed.type ?? "unknown";
      const shadows = shadow?.answersTo(eventId) ?? {};
      return records.map((record) => ({
        // As the page knows it: LINE's webhookEventId, without the channel it is stored behind.
        eventId: eventId.slice(eventId.indexOf("/") + 1),
        plugin: record.plugin,
        status: record.status,
        attempts: record.attempts,
        error: record.lastError,
        updatedAt: record.updatedAt,
        type,
        shadow: shadowLine(shadows[record.plugin]),
      }));
    }),
  );
  return rows.flat().sort((a, b) => b.updatedAt - a.updatedAt);
}
