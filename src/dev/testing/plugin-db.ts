import { createPluginDatabase, type PluginDatabase } from "../../sdk/database.ts";
import { currentDialect } from "../../sdk/dialect.ts";
import type { PluginStateStore } from "../../storage/plugin-state.ts";

/**
 * The plugins' tables of a running bot, to read (or set up) in a test, on whichever store it runs:
 * `await pluginDatabase(state).select().from(visits)`, with tables imported from the plugin.
 */
export function pluginDatabase(state: PluginStateStore): PluginDatabase {
  // Tables imported into this process were built for its dialect, which follows DATABASE_URL.
  if (currentDialect() !== state.dialect)
    throw new Error(
      `the bot keeps plugin state on ${state.dialect}, but tables in this process are built for ${currentDialect()}: start the bot on the store DATABASE_URL names`,
    );
  return createPluginDatabase(state.dialect, (query) => state.query(query));
}
