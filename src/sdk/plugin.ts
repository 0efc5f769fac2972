import type { Table } from "drizzle-orm";
import type { z } from "zod";
import type { ChatType } from "../core/events.ts";
import type { CommandSpec, PostbackSchemas, PostbackSpec } from "./command-types.ts";
import type { EventContext, JobContext, PluginContext } from "./context.ts";
import type { DialogSpec, DialogSteps } from "./dialog.ts";
import type { EventFor, FilterQuery, InChat } from "./filter.ts";
import type { RichMenus } from "./rich-menus.ts";
import type { JobSpec } from "./schedules.ts";
import type { SessionSchemas } from "./session.ts";

/** A migration's SQL per store. */
export interface MigrationSql {
  sqlite?: string;
  postgres?: string;
}

export type SettingsSchema = z.ZodType | undefined;
/**
 * The settings' type. `never` stands for "not inferred yet": TypeScript gives it to a handler
 * wrapped in `fallback()` while it infers `definePlugin`'s types, and a type made of it would keep
 * the handler's context from being inferred at all.
 */
export type SettingsOf<S extends SettingsSchema> = [S] extends [never]
  ? Record<string, never>
  : S extends z.ZodType
    ? z.output<S>
    : Record<string, never>;

/** The postback routes' schemas; `never` (not inferred yet, see `SettingsOf`) is any route. */
type RoutesOf<P extends PostbackSchemas> = [P] extends [never] ? PostbackSchemas : P;

/** The sessions' schemas; `never` (not inferred yet, see `SettingsOf`) is any. */
type SessionsOf<X extends SessionSchemas> = [X] extends [never] ? SessionSchemas : X;

export type Handler<
  E,
  Settings,
  P extends PostbackSchemas = PostbackSchemas,
  X extends SessionSchemas = SessionSchemas,
> = (event: E, ctx: EventContext<Settings, RoutesOf<P>, SessionsOf<X>>) => unknown;

/**
 * One optional handler per subscription query; each gets the event its query selects. A handler
 * wrapped in `fallback()` runs only when nothing else took the event.
 */
export type Handlers<
  C extends ChatType,
  Settings,
  P extends PostbackSchemas = PostbackSchemas,
  X extends SessionSchemas = SessionSchemas,
> = {
  [Q in FilterQuery]?: Handler<InChat<EventFor<Q>, C>, Settings, P, X>;
};

/** Command word → command; each command's `args` types its handler's first parameter. */
export type Commands<
  A,
  Settings,
  C extends ChatType,
  P extends PostbackSchemas,
  X extends SessionSchemas = SessionSchemas,
> = {
  [K in keyof A]: CommandSpec<
    A[K],
    EventContext<Settings, P, SessionsOf<X>>,
    InChat<EventFor<"message:text">, C>
  >;
};

/** Route name → route; each route's `data` schema types its handler's first parameter. */
export type Postbacks<
  P extends PostbackSchemas,
  Settings,
  C extends ChatType,
  X extends SessionSchemas = SessionSchemas,
> = {
  [K in keyof P]: PostbackSpec<
    P[K],
    EventContext<Settings, P, SessionsOf<X>>,
    InChat<EventFor<"postback">, C>
  >;
};

/** Dialog name → dialog; each one's `steps` type the answers its `done` gets. */
export type Dialogs<
  D extends Record<string, DialogSteps>,
  Settings,
  C extends ChatType,
  P extends PostbackSchemas,
  X extends SessionSchemas = SessionSchemas,
> = {
  [K in keyof D]: DialogSpec<
    D[K],
    EventContext<Settings, P, SessionsOf<X>>,
    InChat<EventFor<"message:text">, C>
  >;
};

/** Job name → job (see `JobSpec`). */
export type Jobs<Settings, P extends PostbackSchemas> = Record<
  string,
  JobSpec<JobContext<Settings, RoutesOf<P>>>
>;

export interface PluginDefinition<
  S extends SettingsSchema = undefined,
  C extends ChatType = ChatType,
  A = Record<string, unknown>,
  P extends PostbackSchemas = PostbackSchemas,
  X extends SessionSchemas = Record<never, never>,
  D extends Record<string, DialogSteps> = Record<string, DialogSteps>,
> {
  /** Unique, kebab-case; also the namespace of the plugin's state, routes and logs. */
  name: string;
  description?: string;
  /**
   * Who answers first: wins a command word two plugins declare, and of the fallbacks that could
   * take an event only the highest priority's run. Default 0; higher first.
   */
  priority?: number;
  /**
   * In a group or room, the plugin's commands count only when the bot is mentioned (default
   * true); a command's own `mention` overrides this.
   */
  mention?: boolean;
  /** Text commands (a word, then arguments); declaring any subscribes to text messages for them. */
  commands?: Commands<A, SettingsOf<S>, C, P, X>;
  /** Postback routes: actions built with `ctx.postback(route, data, …)` come back to them. */
  postbacks?: Postbacks<P, SettingsOf<S>, C, X>;
  /**
   * State kept per chat and per user (`ctx.session.chat`, `ctx.session.user`), typed by these
   * schemas; each must accept undefined (a `.default(…)`), the state of a chat or user without one.
   */
  session?: X;
  /**
   * Multi-step conversations, started with `ctx.dialog(name)`: while one is open, the sender's
   * texts in that chat go to it before any command or fallback.
   */
  dialogs?: Dialogs<D, SettingsOf<S>, C, P, X>;
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
  /** Jobs the host runs on a schedule: recurring (`cron`, `every`), or when `ctx.schedule`d. */
  jobs?: Jobs<SettingsOf<S>, P>;
  /**
   * The plugin's rich menus by name: synced with LINE by the host when the plugin loads (created
   * once, replaced when changed, deleted when no longer declared); `ctx.richMenu.link` shows one
   * to a user. An area's action may name a postback route: `{ route, data }`.
   */
  richMenus?: RichMenus<NoInfer<RoutesOf<P>>>;
  /** Handlers by subscription (at least one of `on`, `commands`, `postbacks` and `jobs`). */
  on?: Handlers<C, SettingsOf<S>, P, X>;
  setup?(ctx: PluginContext<SettingsOf<S>, P>): void | Promise<void>;
  teardown?(ctx: PluginContext<SettingsOf<S>, P>): void | Promise<void>;
}

/**
 * Declares a plugin. Only types happen here: the host validates the declaration when it loads the
 * module, so a plain object default export works the same way.
 */
export function definePlugin<
  S extends SettingsSchema = undefined,
  const C extends ChatType = ChatType,
  A = Record<string, unknown>,
  P extends PostbackSchemas = PostbackSchemas,
  X extends SessionSchemas = Record<never, never>,
  D extends Record<string, DialogSteps> = Record<string, DialogSteps>,
>(definition: PluginDefinition<S, C, A, P, X, D>): PluginDefinition<S, C, A, P, X, D> {
  return definition;
}
