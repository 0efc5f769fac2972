import type { Config } from "../config/options.ts";
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../logging/logger.ts";
import type { Store } from "../storage/store.ts";

const HOUR = 3_600_000;

/** Hourly pruning of settled events and expired plugin state; returns how to stop it. */
export function startHousekeeping(parts: {
  config: Config;
  store: Store;
  clock: Clock;
  log: Logger;
}): () => void {
  const { config, store, clock, log } = parts;
  const timer = setInterval(async () => {
    // A busy or failing database must not take the process down: try again next hour.
    try {
      const retentionMs = config.env.INBOX_RETENTION_HOURS * HOUR;
      const removed = await store.prune(retentionMs, clock.now());
      if (removed.events + removed.kv > 0)
        log.info(
          { removed: removed.events, expired: removed.kv },
          "pruned settled events and expired plugin state",
        );
    } catch (error) {
      log.error({ err: error }, "pruning failed; will try again in an hour");
    }
  }, HOUR);
  return () => clearInterval(timer);
}
