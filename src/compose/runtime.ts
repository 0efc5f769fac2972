import { resolve } from "node:path";
import type { CostControl } from "../admin/quota.ts";
import type { ChannelSpec } from "../config/channels.ts";
import type { LineChannel } from "../config/line-channel.ts";
import type { Config } from "../config/options.ts";
import { DEFAULT_CHANNEL } from "../core/channel.ts";
import type { Clock } from "../core/clock.ts";
import { Dispatcher } from "../dispatch/dispatcher.ts";
import { PushGate } from "../dispatch/push-policy.ts";
import { ReplySender } from "../dispatch/reply-sender.ts";
import { TapToSee } from "../dispatch/tap-to-see.ts";
import { accessTokenOf } from "../line/access-token.ts";
import { ChannelSet, type ServedChannel } from "../line/channel-set.ts";
import { LineClient } from "../line/client.ts";
import type { Logger } from "../logging/logger.ts";
import { HotlineMetrics } from "../metrics/metrics.ts";
import { PluginHost } from "../plugin-host/host.ts";
import { channelRichMenus } from "../rich-menus/channels.ts";
import { Scheduler } from "../schedules/scheduler.ts";
import { pluginSchedules } from "../schedules/service.ts";
import { postbackKey } from "../sdk/postback-data.ts";
import { HOST_RESPONDER } from "../sdk/routing.ts";
import type { PluginStateStore } from "../storage/plugin-state.ts";
import type { Store } from "../storage/store.ts";
import { createShadow, type Shadow } from "./shadow.ts";

export interface Runtime {
  /** The LINE channels served: the default one, and the config file's. */
  channels: ChannelSet;
  metrics: HotlineMetrics;
  /** The next versions' host, when some plugin is opted in to shadow runs. */
  shadow: Shadow | undefined;
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
  /** The config file's channels, their secrets read. */
  channels: ChannelSpec[];
  /** The config file changed: the channels it names now (undefined: keep them, it is broken). */
  rereadChannels(): ChannelSpec[] | undefined;
  clock: Clock;
  log: Logger;
}): Runtime {
  const { config, store, pluginState, line, clock, log } = parts;
  const metrics = new HotlineMetrics(() => clock.now());
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
  // Each channel's client has its own limiter and its own guard: the host's calls and its
  // plugins' (through the proxy, `<capability>@<channel>`) draw on the same ones.
  const serve = (spec: ChannelSpec): ServedChannel => {
    const token = accessTokenOf(spec.token, line.apiBaseUrl, clock);
    const client = new LineClient({
      channelAccessToken: spec.token.kind === "long-lived" ? spec.token.token : "",
      ...(spec.token.kind === "long-lived" ? {} : { token }),
      apiBaseUrl: line.apiBaseUrl,
      dataApiBaseUrl: line.dataApiBaseUrl,
      log: log.child({ channel: spec.name }),
      retry: config.tuning.lineRetry,
      onCall: (endpoint, status) => {
        metrics.lineApiCall("host", endpoint, status);
        metrics.channelApiCall(spec.name, endpoint, status);
      },
    });
    const { name, channelSecret, plugins } = spec;
    return { name, channelSecret, plugins, tokenKind: spec.token.kind, token, client };
  };
  const defaultChannel: ChannelSpec = {
    name: DEFAULT_CHANNEL,
    channelSecret: line.channelSecret,
    token: { kind: "long-lived", token: line.channelAccessToken },
    plugins: undefined,
  };
  const channels = new ChannelSet(serve, [defaultChannel, ...parts.channels]);
  channels.onChange((change) => log.info(change, "LINE channels changed"));
  const replies = new ReplySender(channels, store, clock, log, gate);
  const tap = new TapToSee({
    key: postbackKey(line.channelSecret, HOST_RESPONDER),
    store,
    textOf: (plugin) => plugins.hostSettingsOf(plugin).tapToSee,
  });
  const richMenus = channelRichMenus({ store: store.richMenus, channels, clock, log });
  const plugins = new PluginHost({
    config,
    clock,
    log,
    line: {
      apiBaseUrl: line.apiBaseUrl,
      dataApiBaseUrl: line.dataApiBaseUrl,
      token: (name) => channels.get(name)?.token,
    },
    worker: { dataDir: resolve(config.env.DATA_DIR) },
    state: { plugins: pluginState, users: store },
    pushOutsideEvent: (plugin, to, messages, channel) =>
      replies.push({ channel, eventId: undefined, plugin, slot: "direct", to, messages }),
    channels: {
      runs: (channel, plugin) => channels.runs(channel, plugin),
      configChanged: () => {
        const specs = parts.rereadChannels();
        if (specs) channels.apply([defaultChannel, ...specs]);
      },
    },
    postbackKey: (plugin) => postbackKey(line.channelSecret, plugin),
    schedules: pluginSchedules(store, clock),
    richMenus,
    lineProxy: {
      limiter: (channel) => channels.get(channel)?.client.limiter,
      pushes: gate.guard(),
    },
    tapAnswers: (job) => tap.answer(job),
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
    tap,
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
  const cost: CostControl = {
    clients: () => new Map(channels.names().map((name) => [name, channels.client(name)])),
    gate,
    quota: store.quota,
    timeZone,
  };
  metrics.cost.watch({
    month: async () => {
      const month = gate.month();
      const names = new Set([...channels.names(), ...(await store.quota.channels(month))]);
      return Promise.all(
        [...names].map(async (channel) => ({
          channel,
          sent: await gate.sentIn(channel, month),
          paused: (await store.quota.pause(channel, clock.now())) !== undefined,
        })),
      );
    },
  });
  return { channels, metrics, plugins, dispatcher, scheduler, shadow, cost };
}
