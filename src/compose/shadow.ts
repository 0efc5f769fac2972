import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Config } from "../config/options.ts";
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../logging/logger.ts";
import { PluginHost } from "../plugin-host/host.ts";
import { ShadowLog } from "../shadow/shadow-log.ts";
import { ShadowRunner, shadowedPlugins } from "../shadow/shadow-runner.ts";
import type { PluginStateStore } from "../storage/plugin-state.ts";
import { SqlitePluginState } from "../storage/sqlite/plugin-state-store.ts";
import type { Store } from "../storage/store.ts";

export interface Shadow {
  host: PluginHost;
  runner: ShadowRunner;
  log: ShadowLog;
  state: PluginStateStore;
}

/**
 * The shadow host, when some plugin's settings say `"shadow": true` at start: the next versions
 * (`<name>.next.ts`) in a plugin host of their own (see `shadow/shadow-runner.ts`). Its LINE is
 * an address nothing listens on, without the token: a next version reaches nothing outside.
 */
export function createShadow(parts: {
  config: Config;
  store: Store;
  postbackKey(plugin: string): Uint8Array;
  clock: Clock;
  log: Logger;
}): Shadow | undefined {
  const { config, store, clock } = parts;
  if (shadowedPlugins(config).size === 0) return undefined;
  const log = parts.log.child({ shadow: true });
  const dataDir = join(resolve(config.env.DATA_DIR), "shadow");
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const state = SqlitePluginState.open(dataDir, clock, config.tuning.pluginState);
  const nowhere = "http://127.0.0.1:9";
  const host = new PluginHost({
    config: { env: config.env, tuning: { ...config.tuning, pluginFiles: "next" } },
    clock,
    log,
    line: { apiBaseUrl: nowhere, dataApiBaseUrl: nowhere, channelAccessToken: "none" },
    worker: { dataDir },
    state: { plugins: state, users: store },
    pushOutsideEvent: async (plugin) => {
      log.info({ plugin }, "shadow push outside an event not sent");
    },
    postbackKey: parts.postbackKey,
    schedules: { write: async () => [], list: async () => [] },
  });
  const shadowLog = new ShadowLog();
  const runner = new ShadowRunner({
    host,
    log: shadowLog,
    clock,
    logger: log,
    optedIn: () => shadowedPlugins(config),
  });
  return { host, runner, log: shadowLog, state };
}
