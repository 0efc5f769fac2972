/**
 * The composition root: opens the store, builds the runtime and the HTTP surface, starts them in
 * order, and stops them in reverse, by one lifecycle used both for `stop()` and a failed start.
 */
import { resolve } from "node:path";
import { type ChannelResolver, configuredChannels } from "./compose/channels.ts";
import { startHousekeeping } from "./compose/housekeeping.ts";
import { createHttp, type DevToolsFactory, listen } from "./compose/http.ts";
import { Lifecycle } from "./compose/lifecycle.ts";
import { keepDataDirPrivate } from "./compose/private-data.ts";
import { createRuntime } from "./compose/runtime.ts";
import type { Shadow } from "./compose/shadow.ts";
import { openPluginState, openStore } from "./compose/storage.ts";
import type { Env } from "./config/env.ts";
import { type LineChannel, lineChannelFrom } from "./config/line-channel.ts";
import { type Config, resolveConfig, type Tuning } from "./config/options.ts";
import { type Clock, systemClock } from "./core/clock.ts";
import type { Dispatcher } from "./dispatch/dispatcher.ts";
import type { ChannelSet } from "./line/channel-set.ts";
import { createLogger, type Logger } from "./logging/logger.ts";
import type { HotlineMetrics } from "./metrics/metrics.ts";
import type { SqliteHandle } from "./platform/mod.ts";
import type { PluginHost } from "./plugin-host/host.ts";
import { linkSdkInto } from "./plugin-host/sdk-link.ts";
import type { Scheduler } from "./schedules/scheduler.ts";
import type { PluginStateStore } from "./storage/plugin-state.ts";
import { SqliteStore } from "./storage/sqlite/sqlite-store.ts";
import type { Store } from "./storage/store.ts";

export type { BotView, DevTools, DevToolsFactory } from "./compose/http.ts";

export interface HotlineOptions {
  env: Env;
  /** Knobs that are not environment variables (tests, benchmarks); defaults otherwise. */
  tuning?: Partial<Tuning>;
  clock?: Clock;
  log?: Logger;
  /** The LINE channel; default: the one the environment names. Local mode passes its stand-in. */
  line?: LineChannel;
  /** Development tools to mount (local mode's simulator). */
  devTools?: DevToolsFactory;
  /**
   * Where the config file's channels' variables (`secretEnv`, `tokenEnv`…) are read; default: the
   * process environment.
   */
  secrets?: Record<string, string | undefined>;
  /** Turns the config file's channels into served ones; default: their variables read. */
  resolveChannels?: ChannelResolver;
}

export interface Hotline {
  readonly url: string;
  readonly webhookUrl: string;
  readonly config: Config;
  readonly store: Store;
  /** Where plugins keep their state (tests read it through the test kit). */
  readonly pluginState: PluginStateStore;
  /** The SQLite database under the store, when it is SQLite (tests read it directly). */
  readonly database: SqliteHandle | undefined;
  readonly dispatcher: Dispatcher;
  readonly scheduler: Scheduler;
  readonly plugins: PluginHost;
  /** The LINE channels served, as the config file says now. */
  readonly channels: ChannelSet;
  readonly metrics: HotlineMetrics;
  /** Shadow runs of next versions, when some plugin is opted in. */
  readonly shadow: Shadow | undefined;
  readonly log: Logger;
  /** Writes what is gathered in memory (reply counts, written once a second) now. */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

export async function startHotline(options: HotlineOptions): Promise<Hotline> {
  const config = resolveConfig(options.env, options.tuning);
  const { env } = config;
  const clock = options.clock ?? systemClock;
  const log = options.log ?? createLogger(env.LOG_LEVEL);
  const line = options.line ?? lineChannelFrom(env);
  if (!line) throw new Error("no LINE channel: set the credentials, or start in local mode");
  // A channel's missing variables stop the start before anything is opened.
  const channels = configuredChannels({
    configFile: env.CONFIG_FILE,
    secrets: options.secrets ?? process.env,
    resolve: options.resolveChannels,
    log,
  });
  const lifecycle = new Lifecycle(log);
  try {
    keepDataDirPrivate(resolve(env.DATA_DIR), log);
    const store = await openStore(config, clock, log);
    lifecycle.defer("store", () => store.close());
    const pluginState = await openPluginState(config, clock);
    lifecycle.defer("plugin state", () => pluginState.close());
    const runtime = createRuntime({ config, store, pluginState, line, clock, log, ...channels });
    // After everything that sends has stopped, before the store closes.
    lifecycle.defer("reply counts", () => runtime.cost.gate.flush());
    const { app, dev, tooLarge } = createHttp({
      ...{ config, runtime, store, clock, log },
      devTools: options.devTools,
    });
    if (dev) lifecycle.defer("dev tools", () => dev.stop());
    // The server takes webhooks at once; they wait in the store until the plugins are loaded.
    const server = listen({ config, app, dev, tooLarge });
    lifecycle.defer("server", () => server.stop());
    dev?.listening?.(server.url);

    const link = linkSdkInto(env.PLUGINS_DIR);
    if (link) log.info({ link }, 'linked the plugin SDK into the plugins directory ("hotline")');
    lifecycle.defer("plugins", () => runtime.plugins.stop());
    await runtime.plugins.start(env.PUBLIC_URL ?? server.url);
    const { shadow } = runtime;
    if (shadow)
      lifecycle.defer("shadow", () => shadow.host.stop().then(() => shadow.state.close()));
    await shadow?.host.start(env.PUBLIC_URL ?? server.url);
    lifecycle.defer("dispatcher", () => runtime.dispatcher.stop());
    await runtime.dispatcher.start();
    lifecycle.defer("scheduler", () => runtime.scheduler.stop());
    await runtime.scheduler.start();
    lifecycle.defer("housekeeping", startHousekeeping({ config, store, pluginState, clock, log }));

    const webhookUrl = `${server.url}${env.WEBHOOK_PATH}`;
    const pluginsDir = resolve(env.PLUGINS_DIR);
    const served = runtime.channels.names();
    log.info(
      { url: server.url, webhook: webhookUrl, pluginsDir, channels: served },
      "hotline is running",
    );
    return {
      url: server.url,
      webhookUrl,
      config,
      store,
      pluginState,
      database: store instanceof SqliteStore ? store.handle : undefined,
      dispatcher: runtime.dispatcher,
      scheduler: runtime.scheduler,
      plugins: runtime.plugins,
      channels: runtime.channels,
      metrics: runtime.metrics,
      shadow: runtime.shadow,
      log,
      flush: () => runtime.cost.gate.flush(),
      stop: () => lifecycle.unwind(),
    };
  } catch (error) {
    await lifecycle.unwind();
    throw error;
  }
}
