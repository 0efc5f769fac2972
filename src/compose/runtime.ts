import { resolve } from "node:path";
import type { LineChannel } from "../config/line-channel.ts";
import type { Config } from "../config/options.ts";
import type { Clock } from "../core/clock.ts";
import { Dispatcher } from "../dispatch/dispatcher.ts";
import { ReplySender } from "../dispatch/reply-sender.ts";
import { LineClient } from "../line/client.ts";
import type { Logger } from "../logging/logger.ts";
import { HotlineMetrics } from "../metrics/metrics.ts";
import { PluginHost } from "../plugin-host/host.ts";
import { createRichMenuSync } from "../rich-menus/sync.ts";
import { Scheduler } from "../schedules/scheduler.ts";
import { pluginSchedules } from "../schedules/service.ts";
import { postbackKey } from "../sdk/postback-data.ts";
import type { PluginStateStore } from "../storage/plugin-state.ts";
import type { Store } from "../storage/store.ts";
import { createShadow, type Shadow } from "./shadow.ts";

export interface Runtime {
  metrics: HotlineMetrics;
  /** The next versions' host, when some plugin is opted in to shadow runs. */
  shadow: Shadow | undefined;
  plugins: PluginHost;
  dispatcher: Dispatcher;
  scheduler: Scheduler;
}

/**
 * The parts an event passes through after it is stored: the plugin host, the dispatcher that
 * runs deliveries on it, and the LINE client that sends what they answer; beside the dispatcher,
 * the scheduler that runs the plugins' jobs on time; metrics on all of them.
 */
export function createRuntime(parts: {
  config: Config;
  store: Store;
  pluginState: PluginStateStore;
  line: LineChannel;
  clock: Clock;
  log: Logger;
}): Runtime {
  const { config, store, pluginState, line, clock, log } = parts;
  const metrics = new HotlineMetrics(() => clock.now());
  const client = new LineClient({
    channelAccessToken: line.channelAccessToken,
    apiBaseUrl: line.apiBaseUrl,
    log,
    retry: config.tuning.lineRetry,
    onCall: (endpoint, status) => metrics.lineApiCall("host", endpoint, status),
  });
  const replies = new ReplySender(client, store, clock, log);
  const richMenus = createRichMenuSync({
    store: store.richMenus,
    channel: line,
    client,
    clock,
    log,
  });
  const plugins = new PluginHost({
    config,
    clock,
    log,
    line,
    worker: { dataDir: resolve(config.env.DATA_DIR) },
    state: { plugins: pluginState, users: store },
    pushOutsideEvent: (plugin, to, messages) =>
      replies.push({ eventId: undefined, plugin, slot: "direct", to, messages }),
    postbackKey: (plugin) => postbackKey(line.channelSecret, plugin),
    schedules: pluginSchedules(store, clock),
    richMenus,
    onApiCall: (plugin, endpoint, status) => metrics.lineApiCall(plugin, endpoint, status),
    onLogDropped: (plugin) => metrics.logLineDropped(plugin),
  });
  const shadow = createShadow({
    config,
    store,
    clock,
    log,
    postbackKey: (plugin) => postbackKey(line.channelSecret, plugin),
  });
  const dispatcher = new Dispatcher({
    config,
    store,
    plugins,
    replies,
    clock,
    log,
    onDelivery: (plugin, outcome, durationMs) => metrics.delivery(plugin, outcome, durationMs),
    onEvent: (parsed) => metrics.event(parsed),
    ...(shadow ? { mirror: (plugin, job) => shadow.runner.mirror(plugin, job) } : {}),
  });
  const scheduler = new Scheduler({
    config,
    store,
    jobs: plugins,
    push: (request) => replies.push(request),
    clock,
    log,
    onRun: (plugin, outcome) => metrics.jobRun(plugin, outcome),
  });
  plugins.subscribe((event) => metrics.hostEvent(event));
  metrics.watch({
    inboxDepth: () => store.depth(),
    queued: () => dispatcher.queued(),
    plugins: () => plugins.statuses(),
  });
  return { metrics, plugins, dispatcher, scheduler, shadow };
}
