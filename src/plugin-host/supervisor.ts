import type { CircuitBreakerPolicy } from "../config/options.ts";
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../logging/logger.ts";
import { CircuitBreaker } from "./circuit-breaker.ts";
import type { Launch, PluginVersion } from "./plugin-version.ts";
import type { PluginWorker } from "./plugin-worker.ts";
import { RestartBackoff } from "./restart-backoff.ts";

export interface SupervisorOptions {
  version: PluginVersion;
  /** Its first worker, loaded by the reloader. */
  worker: PluginWorker;
  clock: Clock;
  log: Logger;
  breaker: CircuitBreakerPolicy;
  /** How long a retired worker may finish its in-flight deliveries. */
  drainMs: number;
  /** Paused by an operator: a pause outlives a reload, so the version before passes it on. */
  paused: boolean;
  launch: Launch;
  /** The version's files changed since it loaded (a reload still to come, or one that failed). */
  filesChanged(): boolean;
  /**
   * Loads the changed files the normal way. Resolves once that took effect, with the file's load
   * error when the new version did not take over.
   */
  reloadFile(): Promise<string | undefined>;
  /** A fresh worker took over after the last one died: deferred work may go. */
  onAvailable(): void;
  /** Its worker was stopped while idle. */
  onParked(): void;
}

/** What a piece of work asks of the version that would serve it. */
export interface Claim {
  /** Deliveries wait while the plugin is paused (operator, breaker); routes and tasks do not. */
  heedsPause?: boolean;
  /** Why this version cannot serve it at all (not subscribed, no such route); else undefined. */
  refuses?(version: PluginVersion): string | undefined;
}

export type Acquired =
  /** A worker that can take the work now, and the supervisor of the version it runs. */
  | { worker: PluginWorker; supervisor: PluginSupervisor }
  | { refused: string }
  /** Not now (paused, or the worker is down and its restart waits): try again at `until`. */
  | { until: number; reason: string }
  | { unloaded: true };

type Retirement = { replacedBy: PluginSupervisor } | { unloaded: true } | { stopped: true };

/** Resuming wakes a paused plugin's deliveries at once; this is only their re-check interval. */
const PAUSED_RECHECK_MS = 60_000;

/**
 * Keeps one version of a plugin running: owns its worker, starts a fresh one after a death (a
 * worker that keeps dying waits longer each time), holds the pause state and the circuit breaker,
 * and hands out a worker that can take work now, or says why not. When a reload swaps a new
 * version in, work still waiting here is handed over to the new version's supervisor.
 */
export class PluginSupervisor {
  readonly version: PluginVersion;
  readonly #o: SupervisorOptions;
  readonly #breaker: CircuitBreaker;
  #paused: boolean;
  #worker: PluginWorker | undefined;
  /** A replacement being started after the last worker died. */
  #respawning: Promise<void> | undefined;
  /** Why the last worker stopped, for the restarts that follow. */
  #downReason: string | undefined;
  readonly #backoff = new RestartBackoff();
  #error: string | undefined;
  #retired: Retirement | undefined;
  /** The retired worker's drain and teardown. */
  #released: Promise<void> | undefined;
  /** Its worker was stopped while idle: the next work starts one, with no restart backoff. */
  #parked = false;
  /** Parked workers' drain and teardown, awaited at stop. */
  readonly #parking = new Set<Promise<void>>();

  constructor(options: SupervisorOptions) {
    this.#o = options;
    this.version = options.version;
    this.#breaker = new CircuitBreaker(options.breaker);
    this.#paused = options.paused;
    this.#adopt(options.worker);
  }

  /** Paused by an operator. */
  get paused(): boolean {
    return this.#paused;
  }

  /** Its worker is stopped while idle; the next work starts one. */
  get parked(): boolean {
    return this.#parked;
  }

  /** "failed" while no worker runs (it died and its restart is under way, failed, or waits). */
  state(now: number): "loaded" | "paused" | "failed" {
    if (!this.#worker && !this.#parked) return "failed";
    return this.#paused || this.#breaker.pausedUntil(now) ? "paused" : "loaded";
  }

  /** Why the worker is not running, or why its last restart failed. */
  get error(): string | undefined {
    return this.#error;
  }

  get consecutiveFailures(): number {
    return this.#breaker.consecutiveFailures;
  }

  setPaused(paused: boolean): void {
    this.#paused = paused;
    if (!paused) this.#breaker.reset();
  }

  /**
   * A worker of the version now running that can take the work, or why not. Work that waited
   * here while a reload swapped a new version in is decided by the new version's supervisor.
   */
  async acquire(claim: Claim = {}): Promise<Acquired> {
    if (this.#retired) return this.#afterRetirement(claim);
    const refusal = claim.refuses?.(this.version);
    if (refusal !== undefined) return { refused: refusal };
    const now = this.#o.clock.now();
    if (claim.heedsPause && this.#paused)
      return { until: now + PAUSED_RECHECK_MS, reason: "paused by an operator" };
    const pausedUntil = claim.heedsPause ? this.#breaker.pausedUntil(now) : undefined;
    if (pausedUntil) return { until: pausedUntil, reason: "paused by the circuit breaker" };
    if (!this.#worker && !this.#respawning && !this.#parked && this.#backoff.waits(now))
      return this.#down();

    const worker = await this.#responsiveWorker();
    if (this.#retired) return this.#afterRetirement(claim);
    return worker ? { worker, supervisor: this } : this.#down();
  }

  /** Records how a delivery went: the circuit breaker counts failures, a success resets restarts. */
  settled(ok: boolean): void {
    if (ok) this.#backoff.reset();
    if (!this.#breaker.record(ok, this.#o.clock.now())) return;
    this.#o.log.error(
      {
        plugin: this.version.name,
        failures: this.#breaker.consecutiveFailures,
        cooldownMs: this.#o.breaker.cooldownMs,
      },
      "plugin paused by the circuit breaker after repeated failures",
    );
  }

  /** A new version took over; this worker finishes what it has in flight. */
  handOver(successor: PluginSupervisor): void {
    this.#retire({ replacedBy: successor });
  }

  unload(): void {
    this.#retire({ unloaded: true });
  }

  /** The host stops: nothing restarts any more; resolves once the worker is released. */
  async stop(): Promise<void> {
    this.#retire({ stopped: true });
    // A restart already under way finishes, and retires the worker it started.
    await this.#respawning;
    await Promise.all([this.#released, ...this.#parking]);
  }

  #retire(retirement: Retirement): void {
    if (this.#retired) return;
    this.#retired = retirement;
    this.#released = this.#worker?.retire(this.#o.drainMs);
    this.#worker = undefined;
  }

  #afterRetirement(claim: Claim): Acquired | Promise<Acquired> {
    const retired = this.#retired;
    if (retired && "replacedBy" in retired) return retired.replacedBy.acquire(claim);
    if (retired && "unloaded" in retired) return { unloaded: true };
    return { until: this.#o.clock.now(), reason: "the plugin host is stopping" };
  }

  #down(): Acquired {
    return {
      until: Math.max(this.#backoff.until, this.#o.clock.now()),
      reason: `plugin is not running: ${this.#error ?? "worker unavailable"}`,
    };
  }

  #adopt(worker: PluginWorker): void {
    this.#worker = worker;
    this.#parked = false;
    worker.onDeath = (reason) => {
      if (this.#worker === worker) this.#respawn(reason);
    };
    worker.onIdle = () => {
      if (this.#worker === worker) this.#park(worker);
    };
  }

  /** No work came for a while: the worker gives its memory back until work comes again. */
  #park(worker: PluginWorker): void {
    // Only the current worker parks (see #adopt): a retired or dying one is no longer current.
    this.#worker = undefined;
    this.#parked = true;
    this.#o.log.debug({ plugin: this.version.name }, "plugin worker parked while idle");
    this.#o.onParked();
    const parking = worker.retire(this.#o.drainMs);
    this.#parking.add(parking);
    void parking.finally(() => this.#parking.delete(parking));
  }

  /** Work came for a parked version: start it as it was, or load its file if that changed since. */
  #unpark(): void {
    const start = this.#o.filesChanged()
      ? this.#reloadFile("parked while idle")
      : this.#relaunch("parked while idle");
    this.#respawning = start.finally(() => {
      this.#respawning = undefined;
      // It could not start: from here on it is down, and restarts back off as after a death.
      if (!this.#worker) this.#parked = false;
    });
  }

  /**
   * The worker, once it is known to be able to take work: one whose handler just missed its
   * deadline may be blocked, and is either confirmed alive or replaced. Without a worker (its
   * restart failed) the version is started again here, unless it is backing off.
   */
  async #responsiveWorker(): Promise<PluginWorker | undefined> {
    if (!this.#worker && !this.#respawning) {
      if (this.#parked) this.#unpark();
      else this.#respawn(this.#downReason ?? "worker not running");
    }
    if (!this.#worker) await this.#respawning;
    const worker = this.#worker;
    // Found dead: its death started the replacement (or the replacement backs off).
    if (worker && !(await worker.responsive()) && !this.#worker) await this.#respawning;
    return this.#worker;
  }

  /**
   * The worker died (its handler blocked the thread, it crashed), or work arrived for a version
   * left without one: start the version afresh, unless the restart backs off (the next delivery
   * after that tries again); until then the plugin reports "failed".
   */
  #respawn(reason: string): void {
    if (this.#retired) return;
    this.#worker = undefined;
    this.#downReason = reason;
    if (this.#respawning) return;
    const { name } = this.version;
    const now = this.#o.clock.now();
    const backoff = this.#backoff;
    if (backoff.waits(now)) {
      this.#error = `worker stopped (${reason}); next restart at ${new Date(backoff.until).toISOString()}`;
      this.#o.log.warn(
        { plugin: name, reason, restartAt: backoff.until },
        "plugin worker down; restart backs off",
      );
      return;
    }
    backoff.restarting(now);
    this.#error = `worker stopped (${reason}); restarting`;
    this.#o.log.warn(
      { plugin: name, reason, restart: backoff.restarts },
      "restarting the plugin's worker",
    );
    const restart = this.#o.filesChanged() ? this.#reloadFile(reason) : this.#relaunch(reason);
    this.#respawning = restart.finally(() => {
      this.#respawning = undefined;
    });
  }

  async #relaunch(reason: string): Promise<void> {
    let worker: PluginWorker;
    try {
      worker = await this.#o.launch(this.version.file, this.version.settings);
    } catch (error) {
      this.#error = `could not restart after "${reason}": ${(error as Error).message}`;
      this.#o.log.error(
        { plugin: this.version.name, error: this.#error, restartAt: this.#backoff.until },
        "plugin worker could not be restarted",
      );
      return;
    }
    if (this.#retired) return worker.retire(0);
    this.#adopt(worker);
    this.#error = undefined;
    this.#o.onAvailable();
  }

  /**
   * Only the version that was running may be started under this supervisor. A file changed since
   * (a reload still to come, or one that failed and left this version running) is loaded the
   * normal way instead: that swaps the new version in, or reports it and keeps this one.
   */
  async #reloadFile(reason: string): Promise<void> {
    const failure = await this.#o.reloadFile();
    if (this.#retired) return;
    this.#error = `could not restart after "${reason}": the file changed since version ${this.version.version}, and the new version failed: ${failure ?? "it was not loaded"}`;
  }
}
