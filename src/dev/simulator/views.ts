/** What the page reads: the session it starts from, and the side panel's state. */
import type { PluginHost } from "../../plugin-host/host.ts";
import { BOT_HANDLE, GROUP, PEOPLE } from "./cast.ts";
import type { DeliveryRow } from "./deliveries-view.ts";
import type { Entry } from "./transcript.ts";

/** Who is who, and every chat so far. */
export function sessionView(botUserId: string, transcript: Entry[]) {
  return {
    bot: { userId: botUserId, handle: BOT_HANDLE },
    people: PEOPLE,
    group: GROUP,
    transcript,
  };
}

/** The side panel: the plugins, and the deliveries of the simulator's recent events. */
export function stateView(plugins: Pick<PluginHost, "statuses">, rows: DeliveryRow[]) {
  const pluginViews = plugins.statuses().map((status) => ({
    name: status.name,
    file: status.file,
    state: status.state,
    version: status.version?.slice(0, 8),
    subscriptions: status.subscriptions,
    error: status.error,
    delivered: status.delivered,
    failed: status.failed,
  }));
  const receipts: Record<string, Array<{ plugin: string; status: string }>> = {};
  for (const row of rows) receipts[row.eventId] = [...(receipts[row.eventId] ?? []), row];
  return { plugins: pluginViews, receipts, recent: rows.slice(0, 12) };
}
