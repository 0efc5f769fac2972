import type { DeliveryJob, DeliveryOutcome } from "../dispatch/types.ts";
import type { JobRun } from "../schedules/types.ts";
import type { Role } from "../sdk/routing.ts";
import { IdleWatch } from "./idle-watch.ts";
import type { PluginManifest } from "./manifest.ts";
import type { HostToWorker, SerializedRequest, WorkerToHost } from "./protocol.ts";
import { answerRpc } from "./rpc-server.ts";
import { runOutcome } from "./run-outcome.ts";
import { within } from "./within.ts";
import { type LoadedWorker, loadPlugin, type PluginWorkerOptions } from "./worker-load.ts";
import {
  errorText,
  forwardLog,
  type PluginReports,
  protocolErrorText,
  type WorkerMessages,
} from "./worker-messages.ts";
import { closeSessions, type WorkerSessions } from "./worker-sessions.ts";

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
  readonly #idle: IdleWatch;
  /** The ping that asks an idle worker whether timers of its own are still due. */
  #idlePing: number | undefined;

  private constructor(loaded: LoadedWorker, options: PluginWorkerOptions) {
    const { worker, sessions } = loaded;
    this.#worker = worker;
    this.manifest = loaded.manifest;
    this.#o = options;
    this.#messages = loaded.messages;
    this.#reports = loaded.reports;
    this.#sessions = sessions;
    this.richMenus = sessions.richMenus;
    worker.onmessage = (event: MessageEvent<unknown>) => this.#receive(event.data);
    worker.onerror = (event) => this.#die(`worker crashed: ${errorText(event)}`);
    this.#idle = new IdleWatch({
      idleMs: options.idleMs,
      // Not adopted yet (its rich menus still syncing) counts as busy.
      busy: () =>
        !this.onIdle || this.#inFlight.size > 0 || this.#http.size > 0 || this.#pongs.size > 0,
      ask: () => {
        this.#idlePing = this.#nextId++;
        this.#post({ type: "ping", id: this.#idlePing });
      },
      idle: () => this.onIdle?.(),
      kept: (timers) =>
        options.log.debug(
          { plugin: this.manifest.name, timers },
          "idle, but timers of its own are pending: not parked",
        ),
    });
  }

  /** Starts a worker and loads the plugin in it; rejects with a LoadError that says why not. */
  static async start(options: PluginWorkerOptions): Promise<PluginWorker> {
    return new PluginWorker(await loadPlugin(options), options);
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
        this.#idle.worked();
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
    this.#idle.stop();
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
    this.#idle.stop();
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
    this.#idle.worked();
    flight.resolve(outcome);
    if (this.#inFlight.size === 0) {
      for (const resolve of this.#drainWaiters.splice(0)) resolve();
    }
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
          this.#idle.answer(message.timers ?? 0);
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
