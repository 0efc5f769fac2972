import type { RoutingPlugin } from "../sdk/routing.ts";

export interface CommandConflict {
  word: string;
  /** The plugin that gets the word: the higher priority (on a tie, the name first in order). */
  winner: string;
  loser: string;
}

/** Words `plugin` names a command by that another loaded plugin names one by too. */
export function commandConflicts(
  plugin: RoutingPlugin,
  others: readonly RoutingPlugin[],
  order: (a: RoutingPlugin, b: RoutingPlugin) => number,
): CommandConflict[] {
  const words = (p: RoutingPlugin) =>
    new Set(p.commands.flatMap((c) => [c.name, ...c.aliases]).map((w) => w.toLowerCase()));
  const mine = words(plugin);
  const conflicts: CommandConflict[] = [];
  for (const other of others) {
    if (other.name === plugin.name) continue;
    const [winner, loser] = order(plugin, other) <= 0 ? [plugin, other] : [other, plugin];
    for (const word of words(other))
      if (mine.has(word)) conflicts.push({ word, winner: winner.name, loser: loser.name });
  }
  return conflicts;
}
