import { resolve } from "node:path";
import type { Config } from "../config/options.ts";
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../logging/logger.ts";
import type { PluginStateStore } from "../storage/plugin-state.ts";
import { PostgresPluginState } from "../storage/postgres/plugin-state-store.ts";
import { PostgresStore } from "../storage/postgres/postgres-store.ts";
import { SqlitePluginState } from "../storage/sqlite/plugin-state-store.ts";
import { SqliteStore } from "../storage/sqlite/sqlite-store.ts";
import type { Store } from "../storage/store.ts";

/** The store the configuration names: PostgreSQL at DATABASE_URL, else SQLite in DATA_DIR. */
export async function openStore(config: Config, clock: Clock, log: Logger): Promise<Store> {
  const { env, tuning } = config;
  if (env.DATABASE_URL) {
    return PostgresStore.open({
      databaseUrl: env.DATABASE_URL,
      clock,
      log,
      maxAttempts: env.MAX_ATTEMPTS,
    });
  }
  return SqliteStore.open(resolve(env.DATA_DIR), clock, { eventsInMemory: tuning.eventsInMemory });
}

/**
 * Where plugins keep their state, beside the store (opened after it: on SQLite the store moves
 * an older installation's plugin state out of its database; on PostgreSQL it makes the schema).
 */
export async function openPluginState(config: Config, clock: Clock): Promise<PluginStateStore> {
  const { env, tuning } = config;
  if (env.DATABASE_URL)
    return PostgresPluginState.open(env.DATABASE_URL, clock, tuning.pluginState);
  return SqlitePluginState.open(resolve(env.DATA_DIR), clock, tuning.pluginState);
}
