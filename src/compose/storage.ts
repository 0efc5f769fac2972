import { resolve } from "node:path";
import type { Config } from "../config/options.ts";
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../logging/logger.ts";
import { PostgresStore } from "../storage/postgres/postgres-store.ts";
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
