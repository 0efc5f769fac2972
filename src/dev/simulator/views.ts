/** What the page reads: the session it starts from, and the side panel's state. */

import type { PluginHost, PluginStatus } from "../../plugin-host/host.ts";
import { commandsFor } from "../../plugin-host/host-responder.ts";
import { HOST_RESPONDER } from "../../sdk/routing.ts";
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

/** One line of the header's command list: what `help` says of it, and whose it is. */
export interface CommandRow {
  word: string;
  aliases: readonly string[];
  usage: string;
  description: string | undefined;
  plugin: string;
  /** In the group, it counts only when the bot is mentioned. */
  mention: boolean;
}

/** The simulator's two chats, as routing sees an event from them. */
const CHATS = {
  user: { type: "message", mode: "active", source: { type: "user" } },
  group: { type: "message", mode: "active", source: { type: "group" } },
} as const;

/**
 * The commands `help` lists in each of the simulator's chats (highest priority first), then
 * `help` itself, which the host answers only where some command exists.
 */
export function commandsView(plugins: Pick<PluginHost, "routing">) {
  const rows = (chat: keyof typeof CHATS): CommandRow[] => {
    const commands = commandsFor(plugins.routing(), CHATS[chat]).map((command) => ({
      word: command.name,
      aliases: command.aliases,
      usage: command.usage ?? command.name,
      description: command.description,
      plugin: command.plugin,
      mention: command.mention,
    }));
    if (commands.length === 0) return [];
    const help = { word: "help", aliases: [], usage: "help", description: "this list" };
    return [...commands, { ...help, plugin: HOST_RESPONDER, mention: true }];
  };
  return { user: rows("user"), group: rows("group") };
}

/** Who answers first: running plugins by priority (then name, as routing breaks ties), then the rest. */
function answeringOrder(a: PluginStatus, b: PluginStatus): number {
  const running = (status: PluginStatus) => status.version !== undefined;
  if (running(a) !== running(b)) return running(a) ? -1 : 1;
  const name = (status: PluginStatus) => status.name ?? status.file;
  return b.priority - a.priority || (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0);
}

/** The side panel and the header: the plugins, their commands, and recent deliveries. */
export function stateView(plugins: Pick<PluginHost, "statuses" | "routing">, rows: DeliveryRow[]) {
  const pluginViews = plugins
    .statuses()
    .sort(answeringOrder)
    .map((status) => ({
      name: status.name,
      file: status.file,
      state: status.state,
      parked: status.parked,
      version: status.version?.slice(0, 8),
      priority: status.priority,
      subscriptions: status.subscriptions,
      fallbacks: status.fallbacks,
      error: status.error,
      delivered: status.delivered,
      failed: status.failed,
    }));
  const receipts: Record<string, Array<{ plugin: string; status: string }>> = {};
  for (const row of rows) receipts[row.eventId] = [...(receipts[row.eventId] ?? []), row];
  return {
    plugins: pluginViews,
    commands: commandsView(plugins),
    receipts,
    recent: rows.slice(0, 12),
  };
}
