import { basename } from "node:path";
import { fileURLToPath } from "node:url";
import type { Clock } from "../core/clock.ts";
import type { DeliveryJob, DeliveryOutcome } from "../dispatch/types.ts";
import type { JobRun } from "../schedules/types.ts";
import type { Role } from "../sdk/routing.ts";
import type { PluginManifest } from "./manifest.ts";
import type {
  HostToWorker,
  SerializedRequest,
  WorkerEnv,
  WorkerState,
  WorkerToHost,
} from "./protocol.ts";
import { answerRpc, type HostServices } from "./rpc-server.ts";
import { runOutcome } from "./run-outcome.ts";
import type { StateServices } from "./state-rpc.ts";
import { within } from "./within.ts";
import {
  errorText,
  forwardLog,
  PluginReports,
  type PluginReportsOptions,
  protocolErrorText,
  WorkerMessages,
} from "./worker-messages.ts";
import { type BootedWorker, bootWorker, type WorkerPool } from "./worker-pool.ts";
import { closeSessions, openSessions, type WorkerSessions } from "./worker-sessions.ts";

/** Besides these: what the host counts for the plugin, and serves it (see the two). */
export interface PluginWorkerOptions extends PluginReportsOptions, HostServices {
  moduleUrl: string;
  /** The whole `plugins` section of the config file; the worker picks its plugin's part by name. */
  settings: Record<string, unknown>;
  env: WorkerEnv;
  /** Plugin state and, when the store keeps them, files: a worker reaches them through the host. */
  state: StateServices;
  workerState: WorkerState;
  clock: Clock;
  /** Where the worker comes from: the host's pool, which keeps one booted ahead; else a fresh one. */
  pool?: WorkerPool;
  loadTimeoutMs: number;
  /** How long a plugin whose deadline passed may take to answer a ping before it counts as hung. */
  hangGraceMs: number;
  /** After this long without work `onIdle` is called (0: never). */
  idleMs: number;
  /** Called once, when the loaded worker is terminated (retired, or dead): revokes its grants. */
  onGone?(): void;
}

export class LoadError extends Error {
  override name = "LoadError";
}

/** A run in flight: a delivery, or a job's run (then with the schedule, not an event). */
type FlightJob = Pick<DeliveryJob, "reply" | "push"> & { eventId?: string; scheduleId?: string };

interface InFlight {
  job: FlightJob;
  resolve(outcome: DeliveryOutcome): void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * The host's handle on one worker running one version of one plugin. Handlers and routes run
 * behind a deadline; when one passes, the thread is pinged, and a worker whose thread cannot
 * answer within the grace period is terminated, which also frees everything the version held.
 */
export class PluginWorker {
  readonly manifest: PluginManifest;
  /** The rich menus the plugin declared while loading, checked: the host takes them once. */
  readonly richMenus: WorkerSessions["richMenus"];
  /**
   * Called when the worker died (hung, crashed) and was terminated, not when it is retired: set by
   * whoever runs it, to start a fresh one. Called synchronously, before anyone awaiting
   * `responsive()` resumes, so they find the replacement under way.
   */
  onDeath: ((reason: string) => void) | undefined;
  /** Called once the worker has had no work for `idleMs`: set by whoever runs it, to park it. */
  onIdle: (() => void) | undefined;
  readonly #worker: Worker;
  readonly #o: PluginWorkerOptions;
  readonly #messages: WorkerMessages;
  readonly #reports: PluginReports;
  readonly #sessions: WorkerSessions;
  readonly #inFlight = new Map<number, InFlight>();
  readonly #http = new Map<number, (response: Response) => void>();
  /** Hang checks awaiting their pong, each with its grace timer. */
  readonly #pongs = new Map<number, ReturnType<typeof setTimeout>>();
  #verdictWaiters: Array<(alive: boolean) => void> = [];
  #nextId = 1;
  #dead = false;
  /** retire() began: work the host hands out from now on belongs to the next version. */
  #retiring = false;
  #tornDown: (() => void) | undefined;
  #drainWaiters: Array<() => void> = [];
  /** When the last piece of work ended (performance.now(): idleness is wall time, not the clock). */
  #lastWorkAt = performance.now();
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  /** The ping that asks an idle worker whether timers of its own are still due. */
  #idlePing: number | undefined;

  private constructor(
    worker: Worker,
    manifest: PluginManifest,
    options: PluginWorkerOptions,
    from: { messages: WorkerMessages; reports: PluginReports; sessions: WorkerSessions },
  ) {
    this.#worker = worker;
    this.manifest = manifest;
    this.#o = options;
    this.#messages = from.messages;
    this.#reports = from.reports;
    this.#sessions = from.sessions;
    this.richMenus = from.sessions.richMenus;
    worker.onmessage = (event: MessageEvent<unknown>) => this.#receive(event.data);
    worker.onerror = (event) => this.#die(`worker crashed: ${errorText(event)}`);
    if (options.idleMs > 0) this.#checkIdleIn(options.idleMs);
  }

  /** Starts a worker and loads the plugin in it; rejects with a LoadError that says why not. */
  static async start(options: PluginWorkerOptions): Promise<PluginWorker> {
    let booted: BootedWorker;
    try {
      booted = await (options.pool ? options.pool.take() : bootWorker());
    } catch (error) {
      throw new LoadError(`could not start a plugin worker: ${(error as Error).message}`);
    }
    const { worker } = booted;
    const reports = new PluginReports(options);
    const messages = new WorkerMessages({
      logBudget: options.logBudget,
      onLogDropped: (first) => reports.logDropped(first),
    });
    const sessions = openSessions(options.state);
    const { state } = sessions;
    return new Promise((resolve, reject) => {
      const fail = (message: string) => {
        clearTimeout(timer);
        worker.terminate();
        reports.named(basename(fileURLToPath(options.moduleUrl)));
        void closeSessions(sessions);
        reject(new LoadError(message));
      };
      const timer = setTimeout(
        () =>
          fail(
            `loading took longer than ${options.loadTimeoutMs} ms (does the module block or wait at top level?)`,
          ),
        options.loadTimeoutMs,
      );
      const receive = (data: unknown) => {
        let message: WorkerToHost | undefined;
        try {
          message = messages.read(data);
        } catch (error) {
          const reason = protocolErrorText(error);
          reports.protocolError(reason);
          return fail(`protocol error: ${reason}`);
        }
        if (message?.type === "log") return forwardLog(options.log, message);
        if (message?.type === "api-call") return reports.apiCall(message.endpoint, message.status);
        if (message?.type === "rpc") return void answerRpc(worker, message, sessions, options);
        if (message?.type === "load-failed") return fail(message.error);
        if (message?.type === "loaded") {
          if (message.manifest.name !== state.plugin)
            return fail(
              `the worker opened the state of "${state.plugin}", not of "${message.manifest.name}"`,
            );
          clearTimeout(timer);
          reports.named(message.manifest.name);
          const from = { messages, reports, sessions };
          resolve(new PluginWorker(worker, message.manifest, options, from));
        }
      };
      worker.onerror = (event) => fail(`worker error while loading: ${errorText(event)}`);
      worker.onmessage = (event: MessageEvent<unknown>) => receive(event.data);
      for (const data of booted.early) receive(data);
      worker.postMessage({
        type: "load",
        moduleUrl: options.moduleUrl,
        settings: options.settings,
        env: options.env,
        state: options.workerState,
        now: options.clock.now(),
        clockFrozen: options.clock.frozen === true,
      } satisfies HostToWorker);
    });
  }

  /**
   * Resolves true at once, unless a hang check is open (a deadline passed and the thread has not
   * answered yet): then it resolves with the verdict, false when the worker turned out blocked and
   * was terminated. Work sent into a blocked thread would only fail with it.
   */
  responsive(): Promise<boolean> {
    if (this.#dead) return Promise.resolve(false);
    if (this.#pongs.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => this.#verdictWaiters.push(resolve));
  }

  deliver(job: DeliveryJob, role: Role, timeoutMs: number): Promise<DeliveryOutcome> {
    return this.#run(job, timeoutMs, (id) => ({
      type: "deliver",
      id,
      eventId: job.eventId,
      event: job.parsed.event,
      known: job.parsed.kind === "known",
      channel: job.parsed.channel,
      destination: job.destination,
      chat: job.chat,
      attempt: job.attempt,
      role,
      sessions: job.sessions,
      now: this.#o.clock.now(),
    }));
  }

  /** Runs one of the plugin's jobs, behind the same deadline and hang check as a delivery. */
  runJob(run: JobRun, timeoutMs: number): Promise<DeliveryOutcome> {
    const { scheduleId, job, data, scheduledAt, attempt, push, run: key } = run;
    const reply = () => Promise.reject(new Error("a job has no event to reply to"));
    return this.#run({ scheduleId, reply, push }, timeoutMs, (id) => ({
      type: "run-job",
      ...{ id, job, scheduleId, run: key, data, scheduledAt, attempt },
      now: this.#o.clock.now(),
    }));
  }

  #run(
    job: FlightJob,
    timeoutMs: number,
    message: (id: number) => HostToWorker,
  ): Promise<DeliveryOutcome> {
    if (this.#dead)
      return Promise.resolve({ status: "failed", error: "plugin worker is not running" });
    // Never run after its teardown began: it would run against a version being released. Its
    // supervisor hands no retiring worker out, so this only guards the stop.
    if (this.#retiring)
      return Promise.resolve({
        status: "deferred",
        until: this.#o.clock.now(),
        reason: "plugin version is being replaced",
      });
    const id = this.#nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.#deadline(id, timeoutMs), timeoutMs);
      this.#inFlight.set(id, { job, resolve, timer });
      this.#post(message(id));
    });
  }

  /**
   * Serves a request with the plugin's route, behind the same deadline and hang check as a
   * delivery: a route that never answers gets 504, and one that blocks the thread costs the worker.
   */
  async http(request: Request, timeoutMs: number): Promise<Response> {
    if (this.#dead) return new Response("plugin is not running", { status: 503 });
    const id = this.#nextId++;
    const body =
      request.method === "GET" || request.method === "HEAD"
        ? null
        : new Uint8Array(await request.arrayBuffer());
    const serialized: SerializedRequest = {
      method: request.method,
      url: request.url,
      headers: [...request.headers],
      body,
    };
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        if (!this.#http.delete(id)) return;
        resolve(
          new Response(`the plugin's route did not answer within ${timeoutMs} ms`, {
            status: 504,
          }),
        );
        this.#post({ type: "abort", id, reason: `deadline of ${timeoutMs} ms passed` });
        this.#checkHang(
          `route handler blocked the plugin's thread past its ${timeoutMs} ms deadline`,
        );
      }, timeoutMs);
      this.#http.set(id, (response) => {
        clearTimeout(timer);
        this.#lastWorkAt = performance.now();
        resolve(response);
      });
      this.#post({ type: "http", id, request: serialized, now: this.#o.clock.now() });
    });
  }

  /**
   * Lets in-flight deliveries finish (up to `drainMs`), runs the plugin's teardown (bounded too),
   * then terminates the worker, which releases everything the version registered even if its
   * teardown threw or hung.
   */
  async retire(drainMs: number): Promise<void> {
    if (this.#dead) return;
    this.#retiring = true;
    if (this.#inFlight.size > 0) {
      await within(drainMs, new Promise<void>((resolve) => this.#drainWaiters.push(resolve)));
    }
    if (!this.#dead) {
      await within(
        Math.min(drainMs, 2000),
        new Promise<void>((resolve) => {
          this.#tornDown = resolve;
          this.#post({ type: "teardown" });
        }),
      );
    }
    this.terminate("plugin version unloaded");
  }

  terminate(reason: string): void {
    if (this.#dead) return;
    this.#dead = true;
    clearTimeout(this.#idleTimer);
    this.#worker.terminate();
    this.#o.onGone?.();
    // What it left open is rolled back or dropped: a dead plugin holds nothing the others wait
    // for, and no half-stored file.
    void closeSessions(this.#sessions);
    for (const grace of this.#pongs.values()) clearTimeout(grace);
    this.#pongs.clear();
    for (const resolve of this.#verdictWaiters.splice(0)) resolve(false);
    for (const id of [...this.#inFlight.keys()])
      this.#finish(id, { status: "failed", error: reason });
    for (const [id, resolve] of this.#http) {
      this.#http.delete(id);
      resolve(new Response("plugin stopped", { status: 503 }));
    }
  }

  #finish(id: number, outcome: DeliveryOutcome): void {
    const flight = this.#inFlight.get(id);
    if (!flight) return;
    clearTimeout(flight.timer);
    this.#inFlight.delete(id);
    this.#lastWorkAt = performance.now();
    flight.resolve(outcome);
    if (this.#inFlight.size === 0) {
      for (const resolve of this.#drainWaiters.splice(0)) resolve();
    }
  }

  /**
   * One timer, re-armed only when it fires: work in between just moves `#lastWorkAt`, so the
   * delivery path pays nothing for it. Once idle long enough, the worker is asked whether timers
   * of its own are pending (see worker/timers.ts); `#idleAnswer` decides.
   */
  #checkIdleIn(ms: number): void {
    this.#idleTimer = setTimeout(() => {
      if (this.#dead || this.#retiring) return;
      const wait = this.#idleWait();
      if (wait > 0) return this.#checkIdleIn(wait);
      this.#idlePing = this.#nextId++;
      this.#post({ type: "ping", id: this.#idlePing });
    }, ms);
  }

  #idleAnswer(timers: number): void {
    this.#idlePing = undefined;
    const wait = this.#idleWait();
    if (wait === 0 && timers > 0)
      this.#o.log.debug(
        { plugin: this.manifest.name, timers },
        "idle, but timers of its own are pending: not parked",
      );
    if (wait > 0 || timers > 0) this.#checkIdleIn(wait > 0 ? wait : this.#o.idleMs);
    else this.onIdle?.();
  }

  /** How long until the worker has been idle for `idleMs`; 0 once it has. */
  #idleWait(): number {
    const { idleMs } = this.#o;
    // Not adopted yet (its rich menus still syncing) counts as busy.
    const busy =
      !this.onIdle || this.#inFlight.size > 0 || this.#http.size > 0 || this.#pongs.size > 0;
    return busy ? idleMs : Math.max(0, idleMs - (performance.now() - this.#lastWorkAt));
  }

  #post(message: HostToWorker): void {
    this.#worker.postMessage(message);
  }

  #die(reason: string, blockedBy?: string): void {
    if (this.#dead) return;
    // The events it was handling when it died (and the one whose handler blocked it, already
    // settled as timed out), so that their log lines can be found.
    const webhookEventIds = [
      ...new Set([
        ...(blockedBy ? [blockedBy] : []),
        ...[...this.#inFlight.values()].flatMap((flight) => flight.job.eventId ?? []),
      ]),
    ];
    this.#o.log.error(
      { plugin: this.manifest.name, reason, webhookEventIds },
      "plugin worker terminated",
    );
    this.terminate(reason);
    this.onDeath?.(reason);
  }

  /** The deadline passed: report the timeout now, abort the handler, and check the thread is alive. */
  #deadline(id: number, timeoutMs: number): void {
    if (!this.#inFlight.has(id)) return;
    const eventId = this.#inFlight.get(id)?.job.eventId;
    this.#finish(id, {
      status: "failed",
      error: `timed out after ${timeoutMs} ms`,
      timedOut: true,
    });
    this.#post({ type: "abort", id, reason: `deadline of ${timeoutMs} ms passed` });
    this.#checkHang(
      `handler blocked the plugin's thread past its ${timeoutMs} ms deadline`,
      eventId,
    );
  }

  /**
   * A deadline passed: the handler may just be slow, or it may block the thread. A thread that
   * does not answer a ping within the grace period is blocked, and the worker is terminated.
   */
  #checkHang(reason: string, eventId?: string): void {
    if (this.#dead) return;
    const ping = this.#nextId++;
    const grace = setTimeout(() => {
      this.#pongs.delete(ping);
      this.#die(reason, eventId);
    }, this.#o.hangGraceMs);
    this.#pongs.set(ping, grace);
    this.#post({ type: "ping", id: ping });
  }

  /** Every message from the worker; one the protocol does not allow costs the worker. */
  #receive(data: unknown): void {
    if (this.#dead) return;
    try {
      const message = this.#messages.read(data);
      if (message) this.#handle(message);
    } catch (error) {
      const reason = protocolErrorText(error);
      this.#reports.protocolError(reason);
      this.#die(`protocol error: ${reason}`);
    }
  }

  #handle(message: WorkerToHost): void {
    switch (message.type) {
      case "delivered": {
        // Unknown ids were already settled by their deadline: a late answer changes nothing.
        this.#finish(message.id, runOutcome(this.manifest.name, message, this.#o.clock.now()));
        return;
      }
      case "rpc":
        if (!this.#dead)
          void answerRpc(
            this.#worker,
            message,
            this.#sessions,
            this.#o,
            (id) => this.#inFlight.get(id)?.job,
          );
        return;
      case "log":
        forwardLog(this.#o.log, message);
        return;
      case "api-call":
        this.#reports.apiCall(message.endpoint, message.status);
        return;
      case "http-response": {
        const resolve = this.#http.get(message.id);
        this.#http.delete(message.id);
        const { status, headers, body } = message.response;
        resolve?.(
          new Response(status === 204 || status === 304 ? null : body, { status, headers }),
        );
        return;
      }
      case "pong":
        if (message.id === this.#idlePing) {
          this.#idleAnswer(message.timers ?? 0);
          return;
        }
        clearTimeout(this.#pongs.get(message.id));
        this.#pongs.delete(message.id);
        if (this.#pongs.size === 0) {
          for (const resolve of this.#verdictWaiters.splice(0)) resolve(true);
        }
        return;
      case "torn-down":
        if (message.error)
          this.#o.log.warn({ error: message.error }, "plugin teardown failed; released anyway");
        this.#tornDown?.();
        return;
      case "booted":
      case "loaded":
      case "load-failed":
        return;
    }
  }
}
