import type { Clock } from "../core/clock.ts";
import { chatOf } from "../core/event-identity.ts";
import { type ParsedEvent, parseEvent } from "../core/events.ts";
import type { Message } from "../line/client.ts";
import type { Logger } from "../logging/logger.ts";
import type { ChatRef } from "../sdk/context.ts";
import type { DeadSelector, DeliveryStore, Settlement } from "../storage/deliveries.ts";
import type { Arrival, Inbox, InboxEventInput, QueuedEvent } from "../storage/inbox.ts";
import type { SharedState } from "../storage/shared-state.ts";
import type { WriteQueue } from "../storage/write-queue.ts";
import { type BackoffPolicy, backoffDelay, DEFAULT_BACKOFF } from "./backoff.ts";
import { type LaneItem, LaneScheduler, type RunResult } from "./lanes.ts";
import { ReplyBatch } from "./reply-batch.ts";
import type { ReplySender, ReplyTarget } from "./reply-sender.ts";
import type { PluginGateway } from "./types.ts";

export interface DispatcherOptions {
  inbox: Inbox;
  store: DeliveryStore;
  sharedState: SharedState;
  /** The database's write queue, which `inbox` and `store` write through too. */
  writes: WriteQueue;
  plugins: PluginGateway;
  replies: ReplySender;
  clock: Clock;
  log: Logger;
  concurrency: number;
  replyDeadlineMs: number;
  /** Events kept parsed in memory ahead of their deliveries (default 2,000; see `#queue`). */
  eventsInMemory?: number;
  backoff?: BackoffPolicy;
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

interface Routed {
  queued: QueuedEvent;
  parsed: ParsedEvent;
  plugins: string[];
  destination: string | undefined;
  receivedAt: number;
}

/** What the dispatcher keeps in memory about an event while some of its deliveries are open. */
interface EventState {
  parsed: ParsedEvent;
  destination: string | undefined;
  receivedAt: number;
  chat: ChatRef | undefined;
  /** Plugins whose deliveries of this event are not settled yet. */
  open: Set<string>;
  batch?: ReplyBatch;
  /** Arrived in this process and no reply batch has flushed: no reply was attempted, for certain. */
  fresh: boolean;
}

/**
 * Routes stored events to plugins and runs the deliveries: per (chat, plugin) in timestamp order,
 * in parallel otherwise, with retries and dead-lettering recorded per delivery. The database is
 * the truth; memory holds only what is in flight, so a restart picks up exactly what was open.
 */
export class Dispatcher {
  readonly #o: DispatcherOptions;
  readonly #backoff: BackoffPolicy;
  readonly #lanes: LaneScheduler;
  readonly #events = new Map<string, EventState>();
  #routeRetry: ReturnType<typeof setTimeout> | undefined;
  #started = false;

  constructor(options: DispatcherOptions) {
    this.#o = options;
    this.#backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.#lanes = new LaneScheduler(
      options.concurrency,
      options.clock,
      (item) => this.#run(item),
      (error, item) =>
        options.log.error(
          { err: error, webhookEventId: item.eventId, plugin: item.plugin },
          "delivery failed inside the host; trying again in 1 s",
        ),
    );
  }

  get queued(): number {
    return this.#lanes.pending;
  }

  /** Picks up what a previous process left: unrouted events, then every open delivery. */
  start(): void {
    this.#started = true;
    // Open deliveries first: routing the unrouted events below queues theirs itself.
    const open = this.#o.store.open();
    for (const delivery of open)
      this.#lanes.add({ ...delivery, notBefore: delivery.nextAttemptAt });
    const unrouted = this.#unrouted();
    this.#accept(unrouted);
    if (unrouted.length + open.length > 0) {
      this.#o.log.info(
        { unrouted: unrouted.length, deliveries: open.length },
        "recovered open work from the inbox",
      );
    }
  }

  /**
   * Stores a request's events and routes the new ones in the same write, so storing and routing
   * share one commit with everything else committed in this turn; resolves after that commit with
   * the new events, their deliveries queued. Before `start()` the events are only stored: it routes
   * what is still pending. A failure stores nothing: the caller answers 500 and LINE redelivers.
   */
  ingest(rows: InboxEventInput[]): Promise<QueuedEvent[]> {
    if (rows.length === 0) return Promise.resolve([]);
    return this.#o.writes
      .write(() => {
        const stored = this.#o.inbox.insert(rows);
        const routed = this.#started ? this.#routeEach(stored, this.#o.clock.now()) : [];
        return { stored, routed };
      })
      .then(({ stored, routed }) => {
        this.#queue(routed);
        return stored;
      });
  }

  /** Routes stored events that are still pending (one transaction) and queues their deliveries. */
  #accept(events: QueuedEvent[]): void {
    // Before start() the plugins may not be loaded yet: start() routes everything still pending.
    if (!this.#started || events.length === 0) return;
    const now = this.#o.clock.now();
    let routed: Routed[];
    try {
      routed = this.#route(events, now);
    } catch (error) {
      // Acked and stored, so nothing is lost; but only routing puts them in front of the plugins.
      this.#o.log.error(
        { err: error, webhookEventIds: events.map((event) => event.id) },
        "routing failed; trying the inbox's unrouted events again in 1 s",
      );
      this.#retryRouting();
      return;
    }
    this.#queue(routed);
  }

  #unrouted(): QueuedEvent[] {
    return this.#o.inbox.open().filter((event) => event.status === "pending");
  }

  #retryRouting(): void {
    if (this.#routeRetry) return;
    this.#routeRetry = setTimeout(() => {
      this.#routeRetry = undefined;
      this.#accept(this.#unrouted());
    }, 1000);
  }

  /** Events recovered from the inbox, not just received, are read back from their rows. */
  #arrivalOf(queued: QueuedEvent): Arrival | undefined {
    if (queued.arrival) return queued.arrival;
    const row = this.#o.inbox.get(queued.id);
    if (!row) return undefined;
    return {
      event: JSON.parse(row.body),
      destination: row.destination ?? undefined,
      receivedAt: row.receivedAt,
    };
  }

  /** One transaction for the lot. */
  #route(events: QueuedEvent[], now: number): Routed[] {
    return this.#o.store.transaction(() => this.#routeEach(events, now));
  }

  /** Inside a write: the delivery rows, the event's status, the shared tables. */
  #routeEach(events: QueuedEvent[], now: number): Routed[] {
    const { store, plugins: gateway, sharedState } = this.#o;
    const routed: Routed[] = [];
    for (const queued of events) {
      const arrival = this.#arrivalOf(queued);
      if (!arrival) continue;
      const parsed = parseEvent(arrival.event);
      const plugins = gateway.route(parsed);
      store.route(queued.id, plugins, now);
      sharedState.apply(parsed.event as Parameters<SharedState["apply"]>[0], now);
      routed.push({
        queued,
        parsed,
        plugins,
        destination: arrival.destination,
        receivedAt: arrival.receivedAt,
      });
    }
    return routed;
  }

  #queue(routed: Routed[]): void {
    for (const { queued, parsed, plugins, destination, receivedAt } of routed) {
      this.#o.onEvent?.(parsed);
      if (parsed.kind === "unknown") {
        this.#o.log.info(
          { webhookEventId: queued.id, type: parsed.event.type, reason: parsed.reason },
          "unknown event kept",
        );
      }
      if (plugins.length === 0) continue;
      // Past the bound, a backlog's events wait in the inbox only: each is read back when its
      // first delivery runs, so a burst costs disk, not memory.
      if (this.#events.size < (this.#o.eventsInMemory ?? 2_000))
        this.#events.set(queued.id, {
          parsed,
          destination,
          receivedAt,
          chat: chatOf((parsed.event as { source?: unknown }).source),
          open: new Set(plugins),
          fresh: true,
        });
      for (const plugin of plugins) {
        this.#lanes.add({
          eventId: queued.id,
          plugin,
          chatKey: queued.chatKey,
          timestamp: queued.timestamp,
          seq: queued.seq,
          notBefore: 0,
          attempts: 0,
        });
      }
    }
  }

  /** A removed plugin's waiting deliveries are dropped, with the reason on each record. */
  dropPlugin(plugin: string, reason: string): void {
    this.#lanes.removeWhere((item) => item.plugin === plugin);
    const settled = this.#o.store.dropPlugin(plugin, reason, this.#o.clock.now());
    for (const state of this.#events.values()) state.open.delete(plugin);
    for (const eventId of settled) this.#events.delete(eventId);
  }

  /**
   * Runs dead-lettered deliveries again, each with a fresh set of attempts (an operator fixed the
   * cause); returns the ones that were dead and are queued now.
   */
  retryDead(selector: DeadSelector): Array<{ eventId: string; plugin: string }> {
    const requeued = this.#o.store.retryDead(selector, this.#o.clock.now());
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
    return this.#lanes.stop();
  }

  #state(eventId: string): EventState | undefined {
    const cached = this.#events.get(eventId);
    if (cached) return cached;
    const row = this.#o.inbox.get(eventId);
    if (!row) return undefined;
    const parsed = parseEvent(JSON.parse(row.body));
    const open = this.#o.store
      .forEvent(eventId)
      .filter((d) => d.status === "pending" || d.status === "retry")
      .map((d) => d.plugin);
    const state: EventState = {
      parsed,
      destination: row.destination ?? undefined,
      receivedAt: row.receivedAt,
      chat: chatOf((parsed.event as { source?: unknown }).source),
      open: new Set(open),
      fresh: false,
    };
    this.#events.set(eventId, state);
    return state;
  }

  #replyTarget(eventId: string, state: EventState): ReplyTarget {
    const event = state.parsed.event as { replyToken?: unknown; mode?: unknown };
    return {
      eventId,
      replyToken: typeof event.replyToken === "string" ? event.replyToken : undefined,
      standby: event.mode === "standby",
      receivedAt: state.receivedAt,
      chat: state.chat,
      replyAttemptedAt: state.fresh ? null : (this.#o.inbox.get(eventId)?.replyAttemptedAt ?? null),
    };
  }

  async #run(item: LaneItem): Promise<RunResult> {
    const { eventId, plugin } = item;
    const started = performance.now();
    const attempt = item.attempts + 1;
    const state = this.#state(eventId);
    // Made only when a line is written: a child logger costs more than the rest of a quiet run.
    const log = () => this.#o.log.child({ webhookEventId: eventId, plugin });
    if (!state) {
      log().error("delivery refers to an event that is no longer stored; skipping");
      return { settled: true };
    }
    if (!state.batch || state.batch.flushed) {
      state.batch = new ReplyBatch(state.open, this.#o.replyDeadlineMs, (contributions) => {
        const target = this.#replyTarget(eventId, state);
        state.fresh = false;
        return this.#o.replies.flush(target, contributions);
      });
    }
    const batch = state.batch;
    let contributed = false;
    let pushes = 0;
    /** Messages this run has replied so far: the position of the next ones in its reply stream. */
    let replied = 0;
    const target = { eventId, chat: state.chat };
    const failIf = (error: string | undefined) => {
      if (error) throw new Error(error);
    };

    const handlerStarted = performance.now();
    const outcome = await this.#o.plugins.deliver(plugin, {
      eventId,
      parsed: state.parsed,
      destination: state.destination,
      chat: state.chat,
      attempt,
      reply: async (messages: Message[]) => {
        const offset = replied;
        replied += messages.length;
        if (batch.add(plugin, messages)) {
          contributed = true;
          return;
        }
        // Keyed like the batch would key them: a retry whose reply makes the batch and is pushed
        // (the token went to others) then gets 409 instead of sending these a second time.
        failIf(await this.#o.replies.pushAll(target, plugin, "reply", messages, undefined, offset));
      },
      push: async (messages: Message[], to?: string) => {
        failIf(
          await this.#o.replies.pushAll(
            target,
            plugin,
            `push:${pushes++}`,
            messages,
            to ?? state.chat?.id,
          ),
        );
      },
    });

    const handlerMs = performance.now() - handlerStarted;
    batch.settle(plugin, outcome.status === "ok");
    let final = outcome;
    if (outcome.status === "ok" && contributed) {
      const error = (await batch.done).get(plugin);
      if (error) final = { status: "failed", error };
    }
    const durationMs = Math.round(performance.now() - started);
    if (final.status === "deferred") {
      log().info({ until: final.until, reason: final.reason }, "delivery deferred");
      this.#o.onDelivery?.(plugin, "deferred", undefined);
      return { settled: false, notBefore: final.until, deferred: true };
    }

    const now = this.#o.clock.now();
    const settlement: Settlement =
      final.status === "ok"
        ? { status: "done" }
        : final.status === "gone"
          ? { status: "dropped", reason: final.reason }
          : attempt >= this.#backoff.maxAttempts
            ? { status: "dead", error: final.error }
            : {
                status: "retry",
                error: final.error,
                nextAttemptAt: now + backoffDelay(this.#backoff, attempt),
              };
    const eventSettled = await this.#o.store.settle(eventId, plugin, settlement, now);
    const outcomeName = settlement.status === "done" ? "ok" : settlement.status;
    const fields = {
      outcome: outcomeName,
      attempt,
      durationMs,
      ...("error" in settlement ? { error: settlement.error } : {}),
    };
    if (settlement.status === "done") {
      if (this.#o.log.isLevelEnabled("info")) log().info(fields, "delivery");
    } else if (settlement.status === "dead") log().error(fields, "delivery dead-lettered");
    else log().warn(fields, "delivery");
    this.#o.onDelivery?.(
      plugin,
      settlement.status === "done"
        ? "ok"
        : settlement.status === "retry"
          ? final.status === "failed" && final.timedOut
            ? "timed_out"
            : "retried"
          : settlement.status,
      settlement.status === "dropped" ? undefined : handlerMs,
    );

    if (settlement.status === "retry") {
      item.attempts = attempt;
      return { settled: false, notBefore: settlement.nextAttemptAt };
    }
    state.open.delete(plugin);
    if (eventSettled) this.#events.delete(eventId);
    return { settled: true };
  }
}
