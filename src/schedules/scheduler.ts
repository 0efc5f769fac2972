import type { Config } from "../config/options.ts";
import type { Clock } from "../core/clock.ts";
import type { Message } from "../core/message.ts";
import { backoffDelay } from "../dispatch/backoff.ts";
import { ClaimLoop } from "../dispatch/claim-loop.ts";
import { Idleness } from "../dispatch/idleness.ts";
import type { PushRequest } from "../dispatch/reply-sender.ts";
import { type DeliveryOutcome, isPermanent } from "../dispatch/types.ts";
import type { Logger } from "../logging/logger.ts";
import type { RunSettlement, ScheduleRecord, SettledRun, Store } from "../storage/store.ts";
import { declaredSpecs, ownIdOf } from "./requests.ts";
import { nextRun } from "./timing.ts";
import type { JobGateway } from "./types.ts";

export interface SchedulerOptions {
  config: Config;
  store: Store;
  jobs: JobGateway;
  /** Sends a run's push (the reply sender's): keyed by the run, so a rerun's push is a 409. */
  push(request: PushRequest): Promise<void>;
  clock: Clock;
  log: Logger;
  /** How each run ended (metrics). */
  onRun?(plugin: string, outcome: RunMetric): void;
}

/** `ok`: ran (`next` or `done`); `retried`, `dead`; `deferred`/`released`: did not run. */
export type RunMetric = "ok" | "retried" | "dead" | "deferred" | "released";

/**
 * A timer is re-armed at least this often, so that a far schedule (or a clock moved by hand)
 * never waits on one long timer: `setTimeout` also overflows past 24.8 days.
 */
const MAX_WAIT_MS = 60_000;
const SETTLE_TRIES = 5;

/**
 * Runs the plugins' jobs when they are due: claims due runs from the store (the store is the
 * truth; this holds only what runs here), runs each in its plugin's worker, and settles it: the
 * next run of a recurring job, done, a retry after a backoff, dead after MAX_ATTEMPTS, or back
 * unrun (plugin paused). The dispatcher's counterpart for time instead of events.
 */
export class Scheduler {
  readonly #o: SchedulerOptions;
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
  #started = false;
  #stopped = false;

  constructor(options: SchedulerOptions) {
    this.#o = options;
    options.store.onWork(() => this.#claims.ask());
    options.jobs.onChange((change) => {
      if (change.type === "available" && this.#started)
        this.#idleness.track(this.#available(change.plugin), `declaring ${change.plugin}'s jobs`);
    });
  }

  /** Declares the loaded plugins' recurring jobs, then runs what is due (missed while down too). */
  async start(): Promise<void> {
    this.#started = true;
    for (const plugin of this.#o.jobs.jobs().keys()) await this.#declare(plugin);
    this.#claims.ask();
  }

  /** Claims again now (the test clock moved). */
  wake(): void {
    this.#claims.ask();
  }

  /** Resolves when nothing runs and nothing is due now (later runs may still wait). */
  idle(): Promise<void> {
    return this.#idleness.wait();
  }

  /** Stops claiming and waits for the runs in flight. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await Promise.allSettled([...this.#inFlight, ...this.#idleness.background]);
  }

  /** A version loaded (its declarations may have changed), resumed or restarted. */
  async #available(plugin: string): Promise<void> {
    const now = this.#o.clock.now();
    await this.#declare(plugin);
    await this.#o.store.undeferSchedules(plugin, now);
  }

  async #declare(plugin: string): Promise<void> {
    // Gone again meanwhile: declaring nothing would delete its declared schedules.
    if (!this.#o.jobs.jobs().has(plugin)) return;
    const now = this.#o.clock.now();
    const specs = declaredSpecs(plugin, this.#o.jobs.declarations(plugin), now);
    await this.#o.store.declareJobs(plugin, specs, now);
  }

  /** One round of the claim loop: claims due runs while there are free slots. */
  async #claimRound(): Promise<boolean> {
    const free = this.#o.config.tuning.jobConcurrency - this.#running;
    if (this.#stopped || !this.#started || free <= 0) return false;
    const now = this.#o.clock.now();
    const jobs = this.#o.jobs.jobs();
    const claim = await this.#o.store.claimSchedules({ jobs, limit: free, now });
    this.#wakeAt(claim.nextDueAt, now);
    for (const run of claim.runs) this.#start(run);
    return claim.runs.length > 0;
  }

  #claimFailed(error: unknown): void {
    this.#o.log.error({ err: error }, "claiming job runs failed; trying again in 1 s");
    this.#wakeAt(this.#o.clock.now() + 1000, this.#o.clock.now());
  }

  #wakeAt(at: number | undefined, now: number): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#stopped) return;
    const delay = at === undefined ? MAX_WAIT_MS : Math.min(MAX_WAIT_MS, Math.max(0, at - now));
    this.#timer = setTimeout(() => this.#claims.ask(), delay);
  }

  #start(record: ScheduleRecord): void {
    this.#running++;
    const task = this.#run(record)
      .catch((error: unknown) =>
        this.#o.log.error({ err: error, schedule: record.id }, "job run failed inside the host"),
      )
      .finally(() => {
        this.#running--;
        this.#inFlight.delete(task);
        this.#claims.ask();
        this.#idleness.check();
      });
    this.#inFlight.add(task);
  }

  async #run(record: ScheduleRecord): Promise<void> {
    const started = performance.now();
    const attempt = record.attempts + 1;
    const run = `${record.id}@${record.revision}/${record.runAt}`;
    const sends = this.#sends(record, run);
    const outcome = await this.#o.jobs.runJob({
      plugin: record.plugin,
      job: record.job,
      scheduleId: ownIdOf(record),
      run,
      data: record.payload,
      scheduledAt: record.runAt,
      attempt,
      push: sends.push,
    });
    const refused = sends.refused();
    const final: DeliveryOutcome =
      refused !== undefined && (outcome.status === "ok" || outcome.status === "failed")
        ? { status: "failed", error: refused, permanent: true }
        : outcome;
    const settlement = this.#settlementOf(record, final, attempt);
    const schedules = final.status === "ok" ? final.schedules : undefined;
    const { id, revision } = record;
    await this.#settle({ id, revision, settlement, ...(schedules ? { schedules } : {}) });
    this.#log(record, settlement, attempt, Math.round(performance.now() - started));
  }

  /**
   * The host side of a run's `ctx.push`: each push's retry key derives from the schedule, its
   * revision and the run's time, and the push's place in the run, so a run retried after a crash
   * between its push and its settlement gets 409 instead of sending twice.
   */
  #sends(record: ScheduleRecord, run: string) {
    let pushes = 0;
    let refused: string | undefined;
    return {
      refused: () => refused,
      push: async (messages: Message[], to?: string, channel?: string) => {
        const slot = `push:${pushes++}`;
        try {
          await this.#o.push({
            ...(channel === undefined ? {} : { channel }),
            eventId: undefined,
            run,
            plugin: record.plugin,
            slot,
            to,
            messages,
          });
        } catch (error) {
          // A message LINE would refuse fails the run for good, caught by the job or not.
          if (isPermanent(error)) refused ??= (error as Error).message;
          throw error;
        }
      },
    };
  }

  #settlementOf(record: ScheduleRecord, outcome: DeliveryOutcome, attempt: number): RunSettlement {
    const now = this.#o.clock.now();
    switch (outcome.status) {
      case "deferred":
        // Not sooner than a second: the plugin's return (resumed, reloaded) undefers it anyway.
        return { status: "deferred", until: Math.max(outcome.until, now + 1000) };
      case "gone":
        return { status: "released" };
      case "ok": {
        const next = nextRun(record, record.runAt, now);
        return next === undefined ? { status: "done" } : { status: "next", nextRunAt: next };
      }
      case "failed": {
        const { env, tuning } = this.#o.config;
        if (outcome.permanent || attempt >= env.MAX_ATTEMPTS)
          return { status: "dead", error: outcome.error };
        const nextAttemptAt = now + backoffDelay(tuning.backoff, attempt);
        return { status: "retry", error: outcome.error, nextAttemptAt };
      }
    }
  }

  /** A failing write is tried again: an unsettled run would stay `running` until a restart. */
  async #settle(settled: SettledRun): Promise<void> {
    for (let tries = 1; ; tries++) {
      try {
        return await this.#o.store.settleSchedules([settled], this.#o.clock.now());
      } catch (error) {
        if (tries >= SETTLE_TRIES) throw error;
        this.#o.log.error({ err: error, schedule: settled.id }, "settling a job run failed");
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }

  #log(record: ScheduleRecord, settlement: RunSettlement, attempt: number, durationMs: number) {
    const metric = metricOf(settlement);
    this.#o.onRun?.(record.plugin, metric);
    const fields = {
      plugin: record.plugin,
      job: record.job,
      schedule: record.id,
      outcome: settlement.status,
      attempt,
      durationMs,
      ...("error" in settlement ? { error: settlement.error } : {}),
    };
    if (metric === "dead") this.#o.log.error(fields, "job run dead-lettered");
    else if (metric === "retried") this.#o.log.warn(fields, "job run failed; retrying");
    else this.#o.log.info(fields, "job run");
  }
}

function metricOf(settlement: RunSettlement): RunMetric {
  switch (settlement.status) {
    case "done":
    case "next":
      return "ok";
    case "retry":
      return "retried";
    default:
      return settlement.status;
  }
}
