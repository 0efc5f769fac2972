import { resolve } from "node:path";
import type { CostControl } from "../admin/quota.ts";
import type { LineChannel } from "../config/line-channel.ts";
import type { Config } from "../config/options.ts";
import type { Clock } from "../core/clock.ts";
import { Dispatcher } from "../dispatch/dispatcher.ts";
import { DEFAULT_CHANNEL, PushGate } from "../dispatch/push-policy.ts";
import { ReplySender } from "../dispatch/reply-sender.ts";
import { TapToSee } from "../dispatch/tap-to-see.ts";
import { LineClient } from "../line/client.ts";
import { RateLimiter } from "../line/rate-limiter.ts";
import type { Logger } from "../logging/logger.ts";
import { HotlineMetrics } from "../metrics/metrics.ts";
import { PluginHost } from "../plugin-host/host.ts";
import { createRichMenuSync } from "../rich-menus/sync.ts";
import { Scheduler } from "../schedules/scheduler.ts";
import { pluginSchedules } from "../schedules/service.ts";
import { postbackKey } from "../sdk/postback-data.ts";
import { HOST_RESPONDER } from "../sdk/routing.ts";
import type { PluginStateStore } from "../storage/plugin-state.ts";
import type { Store } from "../storage/store.ts";

export interface Runtime {
  metrics: HotlineMetrics;
  plugins: PluginHost;
  dispatcher: Dispatcher;
  scheduler: Scheduler;
  /** Cost control's parts, for `/admin/quota`. */
  cost: CostControl;
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
  // One limiter per channel: the host's calls and its plugins' (through the proxy) share it.
  const limiter = new RateLimiter();
  const client = new LineClient({
    channelAccessToken: line.channelAccessToken,
    apiBaseUrl: line.apiBaseUrl,
    log,
    retry: config.tuning.lineRetry,
    onCall: (endpoint, status) => metrics.lineApiCall("host", endpoint, status),
    limiter,
  });
  const timeZone = config.env.LINE_QUOTA_TIME_ZONE;
  const gate = new PushGate({
    quota: store.quota,
    clock,
    timeZone,
    policyOf: (plugin) => plugins.hostSettingsOf(plugin).pushPolicy,
    log,
    onSent: (channel, plugin, kind, count) => metrics.cost.sent(channel, plugin, kind, count),
    onWithheld: (channel, plugin, why) => metrics.cost.withheld(channel, plugin, why),
    onMonthlyLimit: (channel) => metrics.cost.monthlyLimit(channel),
  });
  const replies = new ReplySender(client, store, clock, log, gate);
  const tap = new TapToSee({
    key: postbackKey(line.channelSecret, HOST_RESPONDER),
    store,
    textOf: (plugin) => plugins.hostSettingsOf(plugin).tapToSee,
  });
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
    lineProxy: { limiter, pushes: gate.guard(DEFAULT_CHANNEL) },
    tapAnswers: (job) => tap.answer(job),
    onApiCall: (plugin, endpoint, status) => metrics.lineApiCall(plugin, endpoint, status),
    onLogDropped: (plugin) => metrics.logLineDropped(plugin),
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
    tap,
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
  const clients = new Map([[DEFAULT_CHANNEL, client]]);
  const cost: CostControl = { clients: () => clients, gate, quota: store.quota, timeZone };
  metrics.cost.watch({
    month: async () => {
      const month = gate.month();
      const channels = new Set([DEFAULT_CHANNEL, ...(await store.quota.channels(month))]);
      return Promise.all(
        [...channels].map(async (channel) => ({
          channel,
          sent: await store.quota.sent(channel, month),
          paused: (await store.quota.pause(channel, clock.now())) !== undefined,
        })),
      );
    },
  });
  return { metrics, plugins, dispatcher, scheduler, cost };
}
