import type { Table } from "drizzle-orm";
import type { z } from "zod";
import type { ChatType } from "../core/events.ts";
import type { EventContext, PluginContext } from "./context.ts";
import type { EventFor, FilterQuery, InChat } from "./filter.ts";

/** A migration's SQL per store. */
export interface MigrationSql {
  sqlite?: string;
  postgres?: string;
}

export type SettingsSchema = z.ZodType | undefined;
export type SettingsOf<S extends SettingsSchema> = S extends z.ZodType
  ? z.output<S>
  : Record<string, never>;

export type Handler<E, Settings> = (event: E, ctx: EventContext<Settings>) => unknown;

/** One optional handler per subscription query; each gets the event its query selects. */
export type Handlers<C extends ChatType, Settings> = {
  [Q in FilterQuery]?: Handler<InChat<EventFor<Q>, C>, Settings>;
};

export interface PluginDefinition<
  S extends SettingsSchema = undefined,
  C extends ChatType = ChatType,
> {
  /** Unique, kebab-case; also the namespace of the plugin's state, routes and logs. */
  name: string;
  description?: string;
  /**
   * Only events from these chat types are delivered (default: all). Events without a chat (a
   * failed accountLink, botSuspended…) are then not delivered either.
   */
  chats?: readonly C[];
  /** Also deliver `mode: "standby"` events (they can never be replied to). Default false. */
  standby?: boolean;
  /** Per-handler deadline; the host's default (30 s) applies otherwise. */
  timeoutMs?: number;
  /** Validates this plugin's section of the config file; its output is `ctx.settings`. */
  settings?: S;
  /**
   * The plugin's own tables (`table("<plugin_name>__…", …)` from "hotline/db", dashes as
   * underscores), created when the plugin first loads; new tables and new nullable/defaulted
   * columns are added on later loads.
   */
  tables?: Record<string, Table>;
  /**
   * Changes that adding tables and columns cannot express (renames, backfills), run once each, in
   * order, on databases created by an older version. Never edit a shipped one: append a new one.
   * SQL that differs per store goes as `{ sqlite, postgres }`; a migration without the store's
   * version keeps the plugin from loading on that store (when it has to run there).
   */
  migrations?: Array<{ id: string; sql: string | MigrationSql }>;
  /**
   * Tables an older version of the plugin had under another name (old name → declared name):
   * renamed at load, rows and all, unless the declared table exists already.
   */
  tableRenames?: Record<string, string>;
  on: Handlers<C, SettingsOf<S>>;
  setup?(ctx: PluginContext<SettingsOf<S>>): void | Promise<void>;
  teardown?(ctx: PluginContext<SettingsOf<S>>): void | Promise<void>;
}

/**
 * Declares a plugin. Only types happen here: the host validates the declaration when it loads the
 * module, so a plain object default export works the same way.
 */
export function definePlugin<
  S extends SettingsSchema = undefined,
  const C extends ChatType = ChatType,
>(definition: PluginDefinition<S, C>): PluginDefinition<S, C> {
  return definition;
}
