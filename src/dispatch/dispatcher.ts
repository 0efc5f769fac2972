import type { Config } from "../config/options.ts";
import type { Clock } from "../core/clock.ts";
import type { Message } from "../core/message.ts";
import type { ParsedEvent, ReceivedEvent } from "../core/parsed-event.ts";
import type { Logger } from "../logging/logger.ts";
import type {
  DeadSelector,
  DeliveryKey,
  RoutedEvent,
  Settlement,
  Store,
} from "../storage/store.ts";
import { backoffDelay } from "./backoff.ts";
import { type LaneItem, LaneScheduler, type RunResult } from "./lanes.ts";
import { ReplyBatch } from "./reply-batch.ts";
import type { ReplySender } from "./reply-sender.ts";
import type { DeliveryOutcome, PluginGateway } from "./types.ts";

export interface DispatcherOptions {
  config: Config;
  store: Store;
  plugins: PluginGateway;
  replies: ReplySender;
  clock: Clock;
  log: Logger;
  /**
   * How each run of a delivery ended (metrics). `durationMs` is the handler's time, undefined when
   * no handler ran (deferred, dropped).
   */
  onDelivery?(plugin: string, outcome: DeliveryMetric, durationMs: number | undefined): void;
  /** An event was routed (once per stored event, also those recovered at start). */
  onEvent?(parsed: ParsedEvent): void;
}

/**
 * One per run: `retried` failed and will run again, `timed_out` missed its deadline and will run
 * again, `dead` failed for the last time (whatever the failure), `dropped` was removed (plugin
 * gone or no longer subscribed), `deferred` did not run (plugin paused).
 */
export type DeliveryMetric = "ok" | "retried" | "timed_out" | "dead" | "dropped" | "deferred";

/** What the dispatcher keeps in memory about an event while some of its deliveries are open. */
interface EventState {
  parsed: ParsedEvent;
  destination: string | undefined;
  receivedAt: number;
  /** Plugins whose deliveries of this event are not settled yet. */
  open: Set<string>;
  batch?: ReplyBatch;
  /** Arrived in this process and no reply batch has flushed: no reply was attempted, for certain. */
  fresh: boolean;
}

/**
 * Routes stored events to plugins and runs the deliveries: per (chat, plugin) in timestamp order,
 * in parallel otherwise, with retries and dead-lettering recorded per delivery. The store is the
 * truth; memory holds only what is in flight, so a restart picks up exactly what was open.
 */
export class Dispatcher {
  readonly #o: DispatcherOptions;
  readonly #lanes: LaneScheduler;
  readonly #events = new Map<string, EventState>();
  readonly #route = (parsed: ParsedEvent) => this.#o.plugins.route(parsed);
  #routeRetry: ReturnType<typeof setTimeout> | undefined;
  #started = false;

  constructor(options: DispatcherOptions) {
    this.#o = options;
    this.#lanes = new LaneScheduler(
      options.config.env.DISPATCH_CONCURRENCY,
      options.clock,
      (item) => this.#run(item),
      (error, item) =>
        options.log.error(
          { err: error, webhookEventId: item.eventId, plugin: item.plugin },
          "delivery failed inside the host; trying again in 1 s",
        ),
    );
    options.plugins.onChange((change) => {
      if (change.type === "available") return this.wake();
      this.dropPlugin(change.plugin, change.reason).catch((error: unknown) =>
        options.log.error({ err: error, plugin: change.plugin }, "dropping deliveries failed"),
      );
    });
  }

  get queued(): number {
    return this.#lanes.pending;
  }

  /** Picks up what a previous process left: every open delivery, then the unrouted events. */
  async start(): Promise<void> {
    this.#started = true;
    const open = await this.#o.store.openDeliveries();
    for (const delivery of open)
      this.#lanes.add({ ...delivery, notBefore: delivery.nextAttemptAt });
    const unrouted = await this.#routePending();
    if (unrouted + open.length > 0) {
      this.#o.log.info({ unrouted, deliveries: open.length }, "recovered open work from the inbox");
    }
  }

  /**
   * Stores a request's events and routes the new ones in the same commit; resolves after it with
   * how many were new, their deliveries queued. Before `start()` the events are only stored: it
   * routes them. A failure stores nothing: the caller answers 500 and LINE redelivers.
   */
  async ingest(events: ReceivedEvent[]): Promise<number> {
    const stored = await this.#o.store.ingest(events, this.#started ? this.#route : undefined);
    if (this.#started) this.#queue(stored);
    return stored.length;
  }

  /** A removed plugin's waiting deliveries are dropped, with the reason on each record. */
  async dropPlugin(plugin: string, reason: string): Promise<void> {
    this.#lanes.removeWhere((item) => item.plugin === plugin);
    for (const state of this.#events.values()) state.open.delete(plugin);
    const settled = await this.#o.store.dropPlugin(plugin, reason, this.#o.clock.now());
    for (const eventId of settled) this.#events.delete(eventId);
  }

  /**
   * Runs dead-lettered deliveries again, each with a fresh set of attempts (an operator fixed the
   * cause); resolves with the ones that were dead and are queued now.
   */
  async retryDead(selector: DeadSelector): Promise<DeliveryKey[]> {
    const requeued = await this.#o.store.retryDead(selector, this.#o.clock.now());
    for (const delivery of requeued) {
      // An event whose other deliveries are still open is in memory: this one is open again too.
      this.#events.get(delivery.eventId)?.open.add(delivery.plugin);
      this.#lanes.add({ ...delivery, notBefore: 0, attempts: 0 });
    }
    return requeued.map(({ eventId, plugin }) => ({ eventId, plugin }));
  }

  /** Re-checks deferred work now (a paused plugin resumed, the test clock moved). */
  wake(): void {
    this.#lanes.wake();
  }

  idle(): Promise<void> {
    return this.#lanes.idle();
  }

  stop(): Promise<void> {
    clearTimeout(this.#routeRetry);
    return this.#lanes.stop();
  }

  /** Routes the stored events that are still pending; on failure, tries again in 1 s. */
  async #routePending(): Promise<number> {
    try {
      const routed = await this.#o.store.routePending(this.#route);
      this.#queue(routed);
      return routed.length;
    } catch (error) {
      // Acked and stored, so nothing is lost; but only routing puts them in front of the plugins.
      this.#o.log.error({ err: error }, "routing failed; trying the unrouted events again in 1 s");
      this.#routeRetry ??= setTimeout(() => {
        this.#routeRetry = undefined;
        void this.#routePending();
      }, 1000);
      return 0;
    }
  }

  #queue(routed: RoutedEvent[]): void {
    const { tuning } = this.#o.config;
    for (const { seq, parsed, plugins, destination, receivedAt } of routed) {
      this.#o.onEvent?.(parsed);
      if (parsed.kind === "unknown") {
        this.#o.log.info(
          { webhookEventId: parsed.id, type: parsed.event.type, reason: parsed.reason },
          "unknown event kept",
        );
      }
      if (plugins.length === 0) continue;
      // Past the bound, a backlog's events wait in the store only: each is read back when its
      // first delivery runs, so a burst costs disk, not memory.
      if (this.#events.size < tuning.eventsInMemory)
        this.#events.set(parsed.id, {
          parsed,
          destination,
          receivedAt,
          open: new Set(plugins),
          fresh: true,
        });
      for (const plugin of plugins) {
        const { id: eventId, chatKey, timestamp } = parsed;
        this.#lanes.add({ eventId, plugin, chatKey, timestamp, seq, notBefore: 0, attempts: 0 });
      }
    }
  }

  async #state(eventId: string): Promise<EventState | undefined> {
    const cached = this.#events.get(eventId);
    if (cached) return cached;
    const stored = await this.#o.store.readEvent(eventId);
    if (!stored) return undefined;
    const { parsed, destination, receivedAt, openPlugins } = stored;
    const state = { parsed, destination, receivedAt, open: new Set(openPlugins), fresh: false };
    this.#events.set(eventId, state);
    return state;
  }

  #batchOf(state: EventState): ReplyBatch {
    if (state.batch && !state.batch.flushed) return state.batch;
    const { parsed } = state;
    state.batch = new ReplyBatch(
      state.open,
      this.#o.config.env.REPLY_DEADLINE_MS,
      (contributions) => {
        const target = {
          eventId: parsed.id,
          replyToken: parsed.replyToken,
          standby: parsed.standby,
          receivedAt: state.receivedAt,
          chat: parsed.chat,
          fresh: state.fresh,
        };
        state.fresh = false;
        return this.#o.replies.flush(target, contributions);
      },
    );
    return state.batch;
  }

  async #run(item: LaneItem): Promise<RunResult> {
    const { eventId, plugin } = item;
    const started = performance.now();
    const attempt = item.attempts + 1;
    const state = await this.#state(eventId);
    // Made only when a line is written: a child logger costs more than the rest of a quiet run.
    const log = () => this.#o.log.child({ webhookEventId: eventId, plugin });
    if (!state) {
      log().error("delivery refers to an event that is no longer stored; skipping");
      return { settled: true };
    }
    const batch = this.#batchOf(state);
    const sends = this.#sends(state, plugin, batch);
    const handlerStarted = performance.now();
    const outcome = await this.#o.plugins.deliver(plugin, {
      eventId,
      parsed: state.parsed,
      destination: state.destination,
      chat: state.parsed.chat,
      attempt,
      reply: sends.reply,
      push: sends.push,
    });
    const handlerMs = performance.now() - handlerStarted;
    batch.settle(plugin, outcome.status === "ok");
    let final = outcome;
    if (outcome.status === "ok" && sends.contributed()) {
      const error = (await batch.done).get(plugin);
      if (error) final = { status: "failed", error };
    }
    if (final.status === "deferred") {
      log().info({ until: final.until, reason: final.reason }, "delivery deferred");
      this.#o.onDelivery?.(plugin, "deferred", undefined);
      return { settled: false, notBefore: final.until, deferred: true };
    }

    const settlement = this.#settlementOf(final, attempt);
    const eventSettled = await this.#o.store.settle(
      { eventId, plugin },
      settlement,
      this.#o.clock.now(),
    );
    const durationMs = Math.round(performance.now() - started);
    this.#report({ plugin, settlement, final, attempt, durationMs, handlerMs, log });
    if (settlement.status === "retry") {
      item.attempts = attempt;
      return { settled: false, notBefore: settlement.nextAttemptAt };
    }
    state.open.delete(plugin);
    if (eventSettled) this.#events.delete(eventId);
    return { settled: true };
  }

  /** The host side of one run's `ctx.reply` and `ctx.push`. */
  #sends(state: EventState, plugin: string, batch: ReplyBatch) {
    const { replies } = this.#o;
    const { parsed } = state;
    let contributed = false;
    let pushes = 0;
    /** Messages this run has replied so far: the position of the next ones in its reply stream. */
    let replied = 0;
    return {
      contributed: () => contributed,
      reply: async (messages: Message[]) => {
        const offset = replied;
        replied += messages.length;
        if (batch.add(plugin, messages)) {
          contributed = true;
          return;
        }
        // Keyed like the batch would key them: a retry whose reply makes the batch and is pushed
        // (the token went to others) then gets 409 instead of sending these a second time.
        const to = parsed.chat?.id;
        await replies.push({ eventId: parsed.id, plugin, slot: "reply", to, messages, offset });
      },
      push: async (messages: Message[], to?: string) => {
        const slot = `push:${pushes++}`;
        await replies.push({
          eventId: parsed.id,
          plugin,
          slot,
          to: to ?? parsed.chat?.id,
          messages,
        });
      },
    };
  }

  #settlementOf(
    final: Exclude<DeliveryOutcome, { status: "deferred" }>,
    attempt: number,
  ): Settlement {
    if (final.status === "ok") return { status: "done" };
    if (final.status === "gone") return { status: "dropped", reason: final.reason };
    if (attempt >= this.#o.config.env.MAX_ATTEMPTS) return { status: "dead", error: final.error };
    const { backoff } = this.#o.config.tuning;
    const nextAttemptAt = this.#o.clock.now() + backoffDelay(backoff, attempt);
    return { status: "retry", error: final.error, nextAttemptAt };
  }

  /** One log line and one metric per run. */
  #report(run: {
    plugin: string;
    settlement: Settlement;
    final: Exclude<DeliveryOutcome, { status: "deferred" }>;
    attempt: number;
    durationMs: number;
    handlerMs: number;
    log: () => Logger;
  }): void {
    const { plugin, settlement, final, attempt, durationMs, handlerMs, log } = run;
    const outcome = settlement.status === "done" ? "ok" : settlement.status;
    const fields = {
      outcome,
      attempt,
      durationMs,
      ...("error" in settlement ? { error: settlement.error } : {}),
    };
    if (settlement.status === "done") {
      if (this.#o.log.isLevelEnabled("info")) log().info(fields, "delivery");
    } else if (settlement.status === "dead") log().error(fields, "delivery dead-lettered");
    else log().warn(fields, "delivery");
    const timedOut = final.status === "failed" && final.timedOut === true;
    const metric = metricOf(settlement, timedOut);
    this.#o.onDelivery?.(plugin, metric, settlement.status === "dropped" ? undefined : handlerMs);
  }
}

function metricOf(settlement: Settlement, timedOut: boolean): DeliveryMetric {
  switch (settlement.status) {
    case "done":
      return "ok";
    case "retry":
      return timedOut ? "timed_out" : "retried";
    default:
      return settlement.status;
  }
}
