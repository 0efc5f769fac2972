import { resolve } from "node:path";
import type { Config } from "../config/options.ts";
import type { Clock } from "../core/clock.ts";
import { SqliteStore } from "../storage/sqlite/sqlite-store.ts";

/** The store the configuration names: SQLite in DATA_DIR. */
export function openStore(config: Config, clock: Clock): SqliteStore {
  return SqliteStore.open(resolve(config.env.DATA_DIR), clock, {
    eventsInMemory: config.tuning.eventsInMemory,
  });
}
