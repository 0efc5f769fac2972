import { basename } from "node:path";
import { Elysia } from "elysia";
import { Gauge, Histogram, Registry } from "prom-client";
import { KNOWN_EVENT_TYPES, type ParsedEvent } from "../core/events.ts";
import type { DeliveryMetric } from "../dispatch/dispatcher.ts";
import type { HostEvent, PluginStatus } from "../plugin-host/host.ts";
import type { RunMetric } from "../schedules/scheduler.ts";
import type { InboxDepth } from "../storage/store.ts";
import { CostMetrics } from "./cost-metrics.ts";
import { FastCounter } from "./fast-counter.ts";

/** What the gauges read at scrape time. */
export interface MetricsSources {
  inboxDepth(): Promise<InboxDepth>;
  /** Deliveries waiting in the dispatcher's lanes (due or in backoff). */
  queued(): Promise<number>;
  plugins(): PluginStatus[];
}

const KNOWN_TYPES: ReadonlySet<string> = new Set(KNOWN_EVENT_TYPES);
const OUTCOMES: readonly DeliveryMetric[] = [
  "ok",
  "retried",
  "timed_out",
  "dead",
  "dropped",
  "deferred",
];
const PLUGIN_STATES: readonly PluginStatus["state"][] = ["loaded", "paused", "failed"];
/** From a quick reply to a slow download; handlers' deadlines default to 30 s. */
const HANDLER_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * One Prometheus registry per hotline instance (never the global default), so several bots in one
 * process — tests do that — each export their own numbers. Everything on the event path is a
 * counter bump; gauges that need the database are computed when scraped.
 */
export class HotlineMetrics {
  readonly registry = new Registry();
  /** Messages sent, pushes withheld, LINE's monthly limit (cost control). */
  readonly cost = new CostMetrics(this.registry);
  readonly #webhooks: FastCounter;
  readonly #events: FastCounter;
  readonly #channelEvents: FastCounter;
  readonly #channelCalls: FastCounter;
  readonly #deliveries: FastCounter;
  readonly #jobRuns: FastCounter;
  readonly #apiCalls: FastCounter;
  readonly #loads: FastCounter;
  readonly #reloads: FastCounter;
  readonly #loadFailures: FastCounter;
  readonly #unloads: FastCounter;
  readonly #protocolErrors: FastCounter;
  readonly #parks: FastCounter;
  readonly #logLinesDropped: FastCounter;
  readonly #handlerSeconds: Histogram;
  readonly #handlerChildren = new Map<string, Histogram.Internal<string>>();

  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
    const registers = [this.registry];
    this.#webhooks = new FastCounter(
      this.registry,
      "hotline_webhook_requests_total",
      "Webhook requests answered, by HTTP status",
      ["status"],
    );
    for (const status of [200, 400, 401, 404, 405, 413, 500]) this.#webhooks.touch(status);
    this.#events = new FastCounter(
      this.registry,
      "hotline_events_total",
      'Events stored and routed, by type ("unknown" for types hotline does not know)',
      ["type"],
    );
    this.#channelEvents = new FastCounter(
      this.registry,
      "hotline_channel_events_total",
      'Events stored and routed, by LINE channel ("default": the environment\'s)',
      ["channel"],
    );
    this.#channelCalls = new FastCounter(
      this.registry,
      "hotline_channel_line_api_calls_total",
      "The host's LINE API attempts (replies, pushes, rich menus…), by channel, endpoint and status",
      ["channel", "endpoint", "status"],
    );
    this.#deliveries = new FastCounter(
      this.registry,
      "hotline_deliveries_total",
      "Delivery runs by plugin and outcome: ok, retried, timed_out (will retry), dead, dropped, deferred",
      ["plugin", "outcome"],
    );
    this.#jobRuns = new FastCounter(
      this.registry,
      "hotline_job_runs_total",
      "Scheduled job runs by plugin and outcome: ok, retried, dead, deferred, released (not run)",
      ["plugin", "outcome"],
    );
    this.#apiCalls = new FastCounter(
      this.registry,
      "hotline_line_api_calls_total",
      'LINE API attempts (retries count), by caller ("host" or the plugin), endpoint and status',
      ["caller", "endpoint", "status"],
    );
    const perPlugin = (name: string, help: string) =>
      new FastCounter(this.registry, name, help, ["plugin"]);
    this.#loads = perPlugin("hotline_plugin_loads_total", "Plugins loaded (first versions)");
    this.#reloads = perPlugin(
      "hotline_plugin_reloads_total",
      "New versions of plugins swapped in (file or settings changed)",
    );
    this.#loadFailures = perPlugin(
      "hotline_plugin_load_failures_total",
      "Plugin versions that failed to load (by name, or by file when it has none yet)",
    );
    this.#unloads = perPlugin("hotline_plugin_unloads_total", "Plugins unloaded (file removed)");
    this.#parks = perPlugin(
      "hotline_plugin_parks_total",
      "Plugin workers stopped while idle (PLUGIN_IDLE_MS); each later start costs a worker's boot",
    );
    this.#protocolErrors = perPlugin(
      "hotline_plugin_protocol_errors_total",
      "Messages from a plugin's worker that the protocol does not allow (each cost the worker a restart)",
    );
    this.#logLinesDropped = perPlugin(
      "hotline_plugin_log_lines_dropped_total",
      "Log lines of a plugin dropped because it logged faster than its budget",
    );
    this.#handlerSeconds = new Histogram({
      name: "hotline_handler_duration_seconds",
      help: "Time a plugin took to handle one delivery (its handlers, in its worker)",
      labelNames: ["plugin"],
      buckets: HANDLER_BUCKETS,
      registers,
    });
  }

  /**
   * The gauges, computed when scraped from the parts that own the numbers: no bookkeeping on the
   * event path, and never stale. Called once those parts exist.
   */
  watch(sources: MetricsSources): void {
    const registers = [this.registry];
    const now = this.#now;
    new Gauge({
      name: "hotline_inbox_open_events",
      help: "Events stored and not yet settled (waiting to be routed, or with open deliveries)",
      registers,
      async collect() {
        const depth = await readDepth(sources);
        this.set(depth ? depth.open : Number.NaN);
      },
    });
    new Gauge({
      name: "hotline_inbox_oldest_open_event_age_seconds",
      help: "How long ago the oldest unsettled event was received (0 when there is none)",
      registers,
      async collect() {
        const depth = await readDepth(sources);
        const oldest = depth?.oldestReceivedAt;
        this.set(
          depth === undefined
            ? Number.NaN
            : oldest === undefined
              ? 0
              : Math.max(0, (now() - oldest) / 1000),
        );
      },
    });
    new Gauge({
      name: "hotline_dispatch_queued_deliveries",
      help: "Deliveries waiting in the dispatcher (due now, or waiting for a retry or a paused plugin)",
      registers,
      async collect() {
        this.set(await sources.queued().catch(() => Number.NaN));
      },
    });
    new Gauge({
      name: "hotline_plugins",
      help: "Plugins by state (loaded, paused, failed)",
      labelNames: ["state"],
      registers,
      collect() {
        const counts = new Map(PLUGIN_STATES.map((state) => [state, 0]));
        for (const status of sources.plugins())
          counts.set(status.state, (counts.get(status.state) ?? 0) + 1);
        for (const [state, n] of counts) this.set({ state }, n);
      },
    });
  }

  /** Called for every webhook response: the hot path. */
  webhookResponse(status: number): void {
    this.#webhooks.inc(status);
  }

  event(parsed: ParsedEvent): void {
    // Only documented types become labels: an unknown type string must not grow the series.
    const type = parsed.event.type;
    this.#events.inc(KNOWN_TYPES.has(type) ? type : "unknown");
    this.#channelEvents.inc(parsed.channel);
  }

  delivery(plugin: string, outcome: DeliveryMetric, durationMs: number | undefined): void {
    let child = this.#handlerChildren.get(plugin);
    if (!child) {
      child = this.#handlerSeconds.labels(plugin);
      this.#handlerChildren.set(plugin, child);
      // Every outcome of a plugin is exported once it has had any, so rates and ratios work.
      for (const name of OUTCOMES) this.#deliveries.touch(plugin, name);
    }
    this.#deliveries.inc(plugin, outcome);
    if (durationMs !== undefined) child.observe(durationMs / 1000);
  }

  jobRun(plugin: string, outcome: RunMetric): void {
    this.#jobRuns.inc(plugin, outcome);
  }

  lineApiCall(caller: string, endpoint: string, status: string): void {
    this.#apiCalls.inc(caller, endpoint, status);
  }

  /** One of the host's LINE API attempts, for a channel (besides `lineApiCall`'s "host"). */
  channelApiCall(channel: string, endpoint: string, status: string): void {
    this.#channelCalls.inc(channel, endpoint, status);
  }

  hostEvent(event: HostEvent): void {
    switch (event.type) {
      case "loaded":
        (event.reload ? this.#reloads : this.#loads).inc(event.name);
        return;
      case "failed":
        // A module that did not even import has no name yet: its file names it.
        this.#loadFailures.inc(event.name ?? basename(event.file));
        return;
      case "unloaded":
        this.#unloads.inc(event.name);
        return;
      case "protocol-error":
        this.#protocolErrors.inc(event.name);
        return;
      case "parked":
        this.#parks.inc(event.name);
        return;
    }
  }

  logLineDropped(plugin: string): void {
    this.#logLinesDropped.inc(plugin);
  }

  /** `GET /metrics`; with `authorized`, only for requests it accepts (METRICS_TOKEN). */
  routes(authorized?: (request: Request) => boolean) {
    return new Elysia().get("/metrics", async ({ request }) => {
      if (authorized && !authorized(request))
        return Response.json(
          { error: "unauthorized: send Authorization: Bearer <METRICS_TOKEN>" },
          { status: 401, headers: { "www-authenticate": 'Bearer realm="hotline metrics"' } },
        );
      return new Response(await this.registry.metrics(), {
        headers: { "content-type": this.registry.contentType },
      });
    });
  }
}

const scrapes = new WeakMap<
  MetricsSources,
  { at: number; depth: Promise<InboxDepth | undefined> }
>();

/**
 * Both inbox gauges read the same depth: one query per scrape, shared for a moment. A database
 * that cannot answer makes them NaN rather than failing the scrape.
 */
function readDepth(sources: MetricsSources): Promise<InboxDepth | undefined> {
  const now = performance.now();
  const last = scrapes.get(sources);
  if (last && now - last.at < 100) return last.depth;
  const depth = sources.inboxDepth().catch(() => undefined);
  scrapes.set(sources, { at: now, depth });
  return depth;
}
