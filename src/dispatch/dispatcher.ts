import type { Config } from "../config/options.ts";
import type { Clock } from "../core/clock.ts";
import type { Message } from "../core/message.ts";
import type { ParsedEvent, ReceivedEvent } from "../core/parsed-event.ts";
import type { SentBatch } from "../core/sent.ts";
import { InvalidMessageError, messageViolations } from "../line/validate.ts";
import type { Logger } from "../logging/logger.ts";
import { HOST_RESPONDER } from "../sdk/routing.ts";
import type {
  ClaimedDelivery,
  ClaimedEvent,
  DeadSelector,
  DeliveryKey,
  Router,
  Settlement,
  Store,
} from "../storage/store.ts";
import { backoffDelay } from "./backoff.ts";
import { ClaimLoop } from "./claim-loop.ts";
import { runEffects } from "./effects.ts";
import { Idleness } from "./idleness.ts";
import { type Contribution, ReplyBatch } from "./reply-batch.ts";
import type { PushRequest, ReplySender, ReplyTarget } from "./reply-sender.ts";
import { REPLY_TOKEN_TTL_MS } from "./reply-sender.ts";
import { type DeliveryMetric, logRun, type RunOutcome } from "./run-log.ts";
import { openDialogs, readSessions } from "./sessions.ts";
import { SettleQueue } from "./settle-queue.ts";
import type { TapToSee } from "./tap-to-see.ts";
import { type DeliveryJob, isPermanent, type PluginGateway } from "./types.ts";

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
  /** "Tap to see the answer" for the plugins that opt in; without it, late replies are pushed. */
  tap?: TapToSee;
  /**
   * A plugin's first run of an event has ended: its shadow (next version) may run it too. Must
   * return at once; what it does never changes the live run.
   */
  mirror?(plugin: string, job: Omit<DeliveryJob, "reply" | "push">): void;
}

export type { DeliveryMetric };

/** An event whose claimed deliveries are running here: they share its reply batch. */
interface EventRun {
  claimed: ClaimedEvent;
  batch: ReplyBatch;
  running: number;
  /** Plugins whose late replies wait for a tap: the reply said "tap to see the answer". */
  tapped: Set<string>;
}

/**
 * Runs deliveries: claims what the store says can run now (the head of each (chat, plugin) lane,
 * whole events at a time), hands each to its plugin, merges the event's replies, and settles the
 * outcome: done, a retry after a backoff, dead after MAX_ATTEMPTS, dropped. The store is the
 * truth and holds the lanes; this holds only what is running.
 */
export class Dispatcher {
  readonly #o: DispatcherOptions;
  readonly #runs = new Map<string, EventRun>();
  readonly #settles: SettleQueue;
  readonly #route = (parsed: ParsedEvent, destination: string | undefined) =>
    this.#o.plugins.route(parsed, destination);
  readonly #inFlight = new Set<Promise<void>>();
  #running = 0;
  readonly #claims = new ClaimLoop({
    round: () => this.#claimRound(),
    failed: (error) => this.#claimFailed(error),
    ended: () => this.#idleness.check(),
  });
  readonly #idleness = new Idleness({
    failed: (what, error) => this.#o.log.error({ err: error }, `${what} failed`),
    busy: () => this.#running > 0 || this.#claims.busy,
    ended: () => this.#claims.ask(),
  });
  #timer: ReturnType<typeof setTimeout> | undefined;
  #routeRetry: ReturnType<typeof setTimeout> | undefined;
  #started = false;
  #stopped = false;

  constructor(options: DispatcherOptions) {
    this.#o = options;
    this.#settles = new SettleQueue(options.store, options.clock);
    options.store.onWork(() => this.#claims.ask());
    options.plugins.onChange((change) => {
      const reaction = async () => {
        if (change.type === "available") await options.store.undefer(change.plugin);
        else await this.dropPlugin(change.plugin, change.reason);
        // After the plugin's own drop, so its deliveries carry its reason rather than the orphans'.
        if (this.#started) await this.#dropOrphans();
      };
      this.#idleness.track(reaction(), "reacting to a plugin change");
    });
  }

  /** Deliveries waiting to run (due now, in backoff, or deferred) and running. */
  async queued(): Promise<number> {
    const counts = await this.#o.store.deliveryCounts();
    return counts.pending + counts.retry;
  }

  /** Routes what a previous process stored but never routed, then starts claiming. */
  async start(): Promise<void> {
    this.#started = true;
    const unrouted = await this.#routePending();
    if (unrouted > 0) this.#o.log.info({ unrouted }, "routed events stored before the start");
    await this.#dropOrphans();
    this.#claims.ask();
  }

  /**
   * Stores a request's events and routes the new ones in the same commit; resolves after it with
   * how many were new. Before `start()` the events are only stored: it routes them. A failure
   * stores nothing: the caller answers 500 and LINE redelivers.
   */
  async ingest(events: ReceivedEvent[]): Promise<number> {
    const { store, plugins, clock } = this.#o;
    let route: Router | undefined;
    if (this.#started) {
      const parsed = events.map((event) => event.parsed);
      const dialogs = await openDialogs(store, plugins, parsed, clock.now());
      route = (event, destination) => plugins.route(event, destination, dialogs.get(event.id));
    }
    const stored = await store.ingest(events, route);
    if (this.#started) this.#report(stored.map((event) => event.parsed));
    return stored.length;
  }

  /** A removed plugin's waiting deliveries are dropped, with the reason on each record. */
  async dropPlugin(plugin: string, reason: string): Promise<void> {
    await this.#o.store.dropPlugin(plugin, reason, this.#o.clock.now());
  }

  /**
   * Runs dead-lettered deliveries again, each with a fresh set of attempts (an operator fixed the
   * cause); resolves with the ones that were dead and are queued now.
   */
  async retryDead(selector: DeadSelector): Promise<DeliveryKey[]> {
    const revived = await this.#o.store.retryDead(selector, this.#o.clock.now());
    return revived.map(({ eventId, plugin }) => ({ eventId, plugin }));
  }

  /** Claims again now (the test clock moved, a plugin came back). */
  wake(): void {
    this.#claims.ask();
  }

  /** Resolves when nothing runs and nothing can be claimed now (retries may still wait). */
  idle(): Promise<void> {
    return this.#idleness.wait();
  }

  /** Stops claiming and waits for what is running. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#routeRetry);
    await Promise.allSettled([...this.#inFlight]);
    await this.#settles.drain();
  }

  /** Open deliveries of plugins that are gone (removed while the bot was down) are dropped. */
  async #dropOrphans(): Promise<void> {
    const open = await this.#o.store.unsettledByPlugin();
    for (const [plugin, counts] of open) {
      if (counts.open > 0 && this.#o.plugins.isGone(plugin))
        await this.dropPlugin(plugin, "plugin is not loaded (removed)");
    }
  }

  #report(parsed: ParsedEvent[]): void {
    for (const event of parsed) {
      this.#o.onEvent?.(event);
      if (event.kind === "unknown") {
        const fields = { webhookEventId: event.id, type: event.event.type, reason: event.reason };
        this.#o.log.info(fields, "unknown event kept");
      }
    }
  }

  /** Routes the stored events that are still pending; on failure, tries again in 1 s. */
  async #routePending(): Promise<number> {
    try {
      const routed = await this.#o.store.routePending(this.#route);
      this.#report(routed.map((event) => event.parsed));
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

  /** One round of the claim loop: claims while there are free slots and claimable work. */
  async #claimRound(): Promise<boolean> {
    const free = this.#o.config.env.DISPATCH_CONCURRENCY - this.#running;
    if (this.#stopped || !this.#started || free <= 0) return false;
    const now = this.#o.clock.now();
    const plugins = this.#o.plugins.loaded();
    const claim = await this.#o.store.claim({ limit: free, plugins, now });
    this.#wakeAt(claim.nextDueAt, now);
    for (const claimed of claim.events) this.#runEvent(claimed);
    return claim.events.length > 0;
  }

  #claimFailed(error: unknown): void {
    // The store could not answer (a database fault): try again shortly rather than spin.
    this.#o.log.error({ err: error }, "claiming deliveries failed; trying again in 1 s");
    this.#wakeAt(this.#o.clock.now() + 1000, this.#o.clock.now());
  }

  #wakeAt(at: number | undefined, now: number): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (at === undefined || this.#stopped) return;
    this.#timer = setTimeout(() => this.#claims.ask(), Math.max(0, at - now));
  }

  #runEvent(claimed: ClaimedEvent): void {
    const { event } = claimed;
    const plugins = claimed.deliveries.map((delivery) => delivery.plugin);
    let run = this.#runs.get(event.parsed.id);
    if (run && !run.batch.flushed) run.batch.expect(plugins);
    else {
      const tapped = new Set<string>();
      run = { claimed, batch: this.#newBatch(claimed, plugins, tapped), running: 0, tapped };
    }
    this.#runs.set(event.parsed.id, run);
    for (const delivery of claimed.deliveries) {
      const eventRun = run;
      eventRun.running++;
      this.#running++;
      const task = this.#run(eventRun, delivery)
        .catch((error: unknown) => {
          const fields = { err: error, webhookEventId: delivery.eventId, plugin: delivery.plugin };
          this.#o.log.error(fields, "delivery failed inside the host; trying again in 1 s");
          const nextAttemptAt = this.#o.clock.now() + 1000;
          const settlement: Settlement = { status: "deferred", until: nextAttemptAt };
          const { eventId, plugin } = delivery;
          return this.#settles.add({ eventId, plugin, settlement });
        })
        .finally(() => {
          this.#running--;
          if (--eventRun.running === 0 && this.#runs.get(delivery.eventId) === eventRun)
            this.#runs.delete(delivery.eventId);
          this.#inFlight.delete(task);
          this.#claims.ask();
          this.#idleness.check();
        });
      this.#inFlight.add(task);
    }
  }

  #newBatch(claimed: ClaimedEvent, plugins: string[], tapped: Set<string>): ReplyBatch {
    let fresh = claimed.fresh;
    const order = (plugin: string) => -(this.#o.plugins.priorityOf?.(plugin) ?? 0);
    const deadline = this.#o.config.env.REPLY_DEADLINE_MS;
    return new ReplyBatch(plugins, deadline, order, (contributions, pending) => {
      const target = replyTarget(claimed, fresh);
      fresh = false;
      const tap = this.#tapFor(target, pending, tapped);
      return this.#o.replies.flush(target, tap ? [...contributions, tap] : contributions);
    });
  }

  /**
   * The "tap to see the answer" message, when plugins that opted in are still working and the
   * reply token is certainly unused and fresh: those plugins' late replies then wait for the tap.
   */
  #tapFor(target: ReplyTarget, pending: string[], tapped: Set<string>): Contribution | undefined {
    const { tap, clock } = this.#o;
    const usable =
      target.fresh && target.replyToken && !target.standby
        ? clock.now() - target.receivedAt < REPLY_TOKEN_TTL_MS
        : false;
    const opted = usable && tap ? tap.opted(pending) : undefined;
    if (!tap || !opted) return undefined;
    for (const plugin of opted.plugins) tapped.add(plugin);
    return { plugin: HOST_RESPONDER, messages: [tap.message(target.eventId, opted.text)] };
  }

  async #run(run: EventRun, delivery: ClaimedDelivery): Promise<void> {
    const { plugin, eventId } = delivery;
    const { event } = run.claimed;
    const started = performance.now();
    const attempt = delivery.attempts + 1;
    const sends = this.#sends(run, plugin);
    const { parsed } = event;
    const { store, plugins, clock } = this.#o;
    const sessions = await readSessions(store, plugins, plugin, parsed, clock.now());
    const handlerStarted = performance.now();
    const outcome = await plugins.deliver(plugin, {
      eventId,
      parsed,
      destination: event.destination,
      chat: parsed.chat,
      attempt,
      sessions,
      reply: sends.reply,
      push: sends.push,
    });
    const handlerMs = performance.now() - handlerStarted;
    if (attempt === 1 && (outcome.status === "ok" || outcome.status === "failed")) {
      const job = { eventId, parsed, destination: event.destination, chat: parsed.chat, attempt };
      this.#o.mirror?.(plugin, { ...job, sessions });
    }
    run.batch.settle(plugin, outcome.status === "ok");
    let final = outcome;
    if (outcome.status === "ok" && sends.contributed()) {
      const failure = (await run.batch.done).get(plugin);
      if (failure) final = { status: "failed", ...failure };
    }
    // A push LINE would refuse fails the run for good, whether or not the handler caught it.
    const refused = sends.refused();
    if (refused !== undefined && (final.status === "ok" || final.status === "failed"))
      final = { status: "failed", error: refused, permanent: true };
    const log = () => this.#o.log.child({ webhookEventId: eventId, plugin });
    if (final.status === "deferred") {
      log().info({ until: final.until, reason: final.reason }, "delivery deferred");
      this.#o.onDelivery?.(plugin, "deferred", undefined);
      await this.#settles.add({
        eventId,
        plugin,
        settlement: { status: "deferred", until: final.until },
      });
      return;
    }
    const settlement = this.#settlementOf(final, attempt);
    const effects = final.status === "ok" ? runEffects(plugin, parsed, final) : undefined;
    // The plugin's share of the merged reply, when the reply call took it (a failed run's share
    // is dropped from a batch that had not gone yet).
    const share = run.batch.flushed && !parsed.standby ? run.batch.contributionOf(plugin) : [];
    if (share.length > 0 && !(await run.batch.done).get(plugin))
      sends.sent.unshift({ via: "reply", messages: share });
    // Kept also when empty: "sent nothing" differs from "not recorded" (null).
    const sent = this.#o.config.env.RECORD_SENT ? sends.sent : undefined;
    await this.#settles.add({
      eventId,
      plugin,
      settlement,
      ...(effects ? { effects } : {}),
      ...(sent ? { sent } : {}),
    });
    const durationMs = Math.round(performance.now() - started);
    const report = { plugin, settlement, final, attempt, durationMs, handlerMs, log };
    logRun(this.#o.log, report, this.#o.onDelivery);
  }

  /** The host side of one run's `ctx.reply` and `ctx.push`. */
  #sends(run: EventRun, plugin: string) {
    const { replies } = this.#o;
    const { batch } = run;
    const { parsed } = run.claimed.event;
    let contributed = false;
    let refused: string | undefined;
    let pushes = 0;
    /** What went out past the batch, in order (the batch's share goes first, once it is sent). */
    const sent: SentBatch[] = [];
    const pushing = async (request: PushRequest, late = false) => {
      try {
        if (late) await replies.late(replyTarget(run.claimed, false), request);
        else await replies.push(request);
        const { messages, to } = request;
        sent.push(
          late ? { via: "reply", messages } : { via: "push", ...(to ? { to } : {}), messages },
        );
      } catch (error) {
        if (isPermanent(error)) refused ??= (error as Error).message;
        throw error;
      }
    };
    /** Messages this run has replied so far: the position of the next ones in its reply stream. */
    let replied = 0;
    return {
      sent,
      contributed: () => contributed,
      /** Why a push of this run was refused for good (a message LINE would refuse). */
      refused: () => refused,
      reply: async (messages: Message[]) => {
        const offset = replied;
        replied += messages.length;
        if (batch.add(plugin, messages)) {
          contributed = true;
          return;
        }
        if (this.#o.tap && run.tapped.has(plugin)) {
          // The reply said "tap to see the answer": these wait for the tap's free reply token.
          const violations = messageViolations(messages);
          if (violations.length > 0) throw new InvalidMessageError(violations, plugin);
          await this.#o.tap.hold(parsed.id, plugin, offset, messages, this.#o.clock.now());
          return;
        }
        // Keyed like the batch would key them: a retry whose reply makes the batch and is pushed
        // (the token went to others) then gets 409 instead of sending these a second time. What
        // an earlier run replied on the token goes as that reply again instead (see `late`).
        const to = parsed.chat?.id;
        const request = { eventId: parsed.id, plugin, slot: "reply", to, messages, offset };
        await pushing({ channel: parsed.channel, ...request }, true);
      },
      push: async (messages: Message[], to?: string, channel?: string) => {
        const slot = `push:${pushes++}`;
        // Another channel only when named: its own chat is this event's channel's.
        const via = channel ?? parsed.channel;
        const recipient = to ?? (via === parsed.channel ? parsed.chat?.id : undefined);
        await pushing({ channel: via, eventId: parsed.id, plugin, slot, to: recipient, messages });
      },
    };
  }

  #settlementOf(final: RunOutcome, attempt: number): Settlement {
    if (final.status === "ok") return { status: "done" };
    if (final.status === "gone") return { status: "dropped", reason: final.reason };
    if (final.permanent || attempt >= this.#o.config.env.MAX_ATTEMPTS)
      return { status: "dead", error: final.error };
    const { backoff } = this.#o.config.tuning;
    const nextAttemptAt = this.#o.clock.now() + backoffDelay(backoff, attempt);
    return { status: "retry", error: final.error, nextAttemptAt };
  }
}

/** Where the event's replies go; `fresh` as in ReplyTarget. */
function replyTarget(claimed: ClaimedEvent, fresh: boolean): ReplyTarget {
  const { parsed, receivedAt } = claimed.event;
  const { channel, id: eventId, replyToken, standby, chat } = parsed;
  return { channel, eventId, replyToken, standby, receivedAt, chat, fresh };
}
