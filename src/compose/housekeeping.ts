import type { Config } from "../config/options.ts";
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../logging/logger.ts";
import { ABANDONED_AFTER_MS } from "../storage/plugin-files.ts";
import type { PluginStateStore } from "../storage/plugin-state.ts";
import type { Store } from "../storage/store.ts";

const HOUR = 3_600_000;

/**
 * Hourly pruning of settled events, expired plugin state, and uploads of plugins' files a crashed
 * instance left in the store; returns how to stop it.
 */
export function startHousekeeping(parts: {
  config: Config;
  store: Store;
  pluginState: PluginStateStore;
  clock: Clock;
  log: Logger;
}): () => void {
  const { config, store, pluginState, clock, log } = parts;
  const timer = setInterval(async () => {
    // A busy or failing database must not take the process down: try again next hour.
    try {
      const retentionMs = config.env.INBOX_RETENTION_HOURS * HOUR;
      const { events } = await store.prune(retentionMs, clock.now());
      const expired = await pluginState.prune(clock.now());
      const uploads =
        (await pluginState.files?.pruneUploads(clock.now() - ABANDONED_AFTER_MS)) ?? 0;
      if (events + expired + uploads > 0)
        log.info(
          { removed: events, expired, abandonedUploads: uploads },
          "pruned settled events, expired plugin state and abandoned uploads",
        );
    } catch (error) {
      log.error({ err: error }, "pruning failed; will try again in an hour");
    }
  }, HOUR);
  return () => clearInterval(timer);
}
