import { existsSync } from "node:fs";
import { relative, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { readConfigFile } from "../config/config-file.ts";
import type { Config, Tuning } from "../config/options.ts";
import type { Clock } from "../core/clock.ts";
import type { ParsedEvent } from "../core/events.ts";
import type { Message } from "../core/message.ts";
import type { DeliveryJob, DeliveryOutcome, PluginGateway } from "../dispatch/types.ts";
import type { Logger } from "../logging/logger.ts";
import {
  type CompiledSubscription,
  compileSubscription,
  type MatchableEvent,
} from "../sdk/filter.ts";
import { CircuitBreaker } from "./circuit-breaker.ts";
import { findPluginEntries, moduleGraph } from "./discovery.ts";
import type { PluginManifest } from "./manifest.ts";
import { LoadError, PluginWorker } from "./plugin-worker.ts";
import type { WorkerEnv } from "./protocol.ts";
import { DirectoryWatcher } from "./watcher.ts";
import { WorkerPool } from "./worker-pool.ts";

/** What a plugin's worker needs besides the public URL, which `start()` receives. */
export type WorkerConnections = Omit<WorkerEnv, "publicUrl" | "retry">;

export interface PluginHostOptions {
  /** Reads PLUGINS_DIR, CONFIG_FILE, HANDLER_TIMEOUT_MS and the plugin host's tuning knobs. */
  config: Config;
  clock: Clock;
  log: Logger;
  worker: WorkerConnections;
  pushOutsideEvent(plugin: string, to: string, messages: Message[]): Promise<void>;
  /** A plugin is gone: its waiting deliveries must be dropped. */
  onRemoved(plugin: string, reason: string): void;
  /** A plugin became deliverable again (loaded, resumed, respawned): deferred work may go. */
  onAvailable(plugin: string): void;
  /** A plugin's worker made one LINE API attempt (metrics). */
  onApiCall?(plugin: string, endpoint: string, status: string): void;
}

/** "failed": no version is running, or the running version's worker is down (see `error`). */
export type PluginState = "loaded" | "paused" | "failed";

export interface PluginStatus {
  name: string | undefined;
  file: string;
  state: PluginState;
  version: string | undefined;
  subscriptions: string[];
  chats: string[] | undefined;
  /** The last load or reload error; with state "loaded" the previous version is still running. */
  error: string | undefined;
  loadedAt: number | undefined;
  delivered: number;
  failed: number;
  consecutiveFailures: number;
}

export type HostEvent =
  | { type: "loaded"; name: string; file: string; version: string; reload: boolean }
  | { type: "failed"; file: string; name: string | undefined; error: string }
  | { type: "unloaded"; name: string; file: string; reason: string };

interface Plugin {
  name: string;
  file: string;
  version: string;
  manifest: PluginManifest;
  subscription: CompiledSubscription;
  worker: PluginWorker | undefined;
  /** A replacement worker being started after the last one died. */
  respawning: Promise<PluginWorker | undefined> | undefined;
  /** Why the last worker stopped, for the restarts that follow. */
  downReason: string | undefined;
  /** Restarts since the plugin last handled an event: a worker that keeps dying backs off. */
  restarts: number;
  /** No restart before this time (the host's clock). */
  restartAt: number;
  breaker: CircuitBreaker;
  pausedByOperator: boolean;
  loadedAt: number;
  error: string | undefined;
  delivered: number;
  failed: number;
}

interface FileRecord {
  name: string | undefined;
  version: string;
  files: string[];
  error: string | undefined;
  /** The plugin's settings section the running version was loaded with, as JSON. */
  settings?: string;
}

/** The first restart after a plugin did some work is immediate; each one after it waits longer. */
const RESTART_BACKOFF_MS = 1000;
const MAX_RESTART_BACKOFF_MS = 60_000;

/**
 * How long a delivery for a plugin that is not loaded waits while some plugin file fails to load:
 * a fixed file wakes it at once (onAvailable), so this is only the re-check interval.
 */
const NOT_LOADED_RECHECK_MS = 60_000;

/**
 * Loads every plugin in the plugins directory into its own worker, swaps versions when files
 * change, and runs deliveries with isolation: deadlines, hang detection, a circuit breaker.
 */
export class PluginHost implements PluginGateway {
  readonly #o: PluginHostOptions;
  readonly #tuning: Tuning;
  readonly #configFile: string;
  readonly #defaultTimeoutMs: number;
  /** Set by start(): the public URL is known once the server listens. */
  #workerEnv: WorkerEnv | undefined;
  readonly #plugins = new Map<string, Plugin>();
  readonly #files = new Map<string, FileRecord>();
  readonly #listeners = new Set<(event: HostEvent) => void>();
  readonly #dir: string;
  #settings: Record<string, unknown> = {};
  #watcher: DirectoryWatcher | undefined;
  /** Reloads run one batch at a time, in order. */
  #queue: Promise<void> = Promise.resolve();
  #ready = false;
  /** stop() began: nothing loads, reloads or restarts any more. */
  #stopped = false;
  readonly #pool = new WorkerPool();

  constructor(options: PluginHostOptions) {
    this.#o = options;
    const { env, tuning } = options.config;
    this.#tuning = tuning;
    this.#dir = resolve(env.PLUGINS_DIR);
    this.#configFile = env.CONFIG_FILE;
    this.#defaultTimeoutMs = env.HANDLER_TIMEOUT_MS;
  }

  get ready(): boolean {
    return this.#ready;
  }

  /** Loads all plugins (a plugin that fails is reported and skipped), then starts watching. */
  async start(publicUrl: string): Promise<void> {
    this.#workerEnv = { ...this.#o.worker, publicUrl, retry: this.#tuning.lineRetry };
    this.#settings = readConfigFile(this.#configFile, this.#tuning.defaultSettings).plugins;
    const entries = findPluginEntries(this.#dir);
    await Promise.all(entries.map((file) => this.#load(file, new Set(entries))));
    this.#ready = true;
    const loaded = [...this.#plugins.values()].map((p) => p.name);
    const failed = [...this.#files.entries()].filter(([, r]) => r.error).length;
    this.#o.log.info(
      { dir: this.#dir, loaded, failed },
      `plugins loaded: ${loaded.length} ok, ${failed} failed`,
    );
    if (this.#tuning.watch) this.#startWatching();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#watcher?.close();
    await this.#queue;
    // A restart already under way finishes, and retires the worker it started (see #respawn).
    await Promise.all([...this.#plugins.values()].map((plugin) => plugin.respawning));
    await Promise.all(
      [...this.#plugins.values()].map((plugin) => plugin.worker?.retire(this.#tuning.drainMs)),
    );
    await this.#pool.release();
  }

  /** Listens to loads, failures and unloads; returns the unsubscribe function. */
  subscribe(listener: (event: HostEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  statuses(): PluginStatus[] {
    const statuses: PluginStatus[] = [];
    const now = this.#o.clock.now();
    for (const [file, record] of this.#files) {
      const plugin = record.name ? this.#plugins.get(record.name) : undefined;
      const running = plugin?.file === file ? plugin : undefined;
      // A version whose worker died and could not be restarted (yet) runs nothing.
      const down = running !== undefined && running.worker === undefined;
      statuses.push({
        name: running?.name ?? record.name,
        file: relative(this.#dir, file),
        state:
          !running || down
            ? "failed"
            : running.pausedByOperator || running.breaker.pausedUntil(now)
              ? "paused"
              : "loaded",
        version: running?.version,
        subscriptions: running?.manifest.queries ?? [],
        chats: running?.manifest.chats,
        error: (down ? running.error : undefined) ?? record.error ?? running?.error,
        loadedAt: running?.loadedAt,
        delivered: running?.delivered ?? 0,
        failed: running?.failed ?? 0,
        consecutiveFailures: running?.breaker.consecutiveFailures ?? 0,
      });
    }
    return statuses.sort((a, b) => a.file.localeCompare(b.file));
  }

  /** Pauses or resumes a plugin by hand: its deliveries wait, they are not dropped. */
  setPaused(name: string, paused: boolean): boolean {
    const plugin = this.#plugins.get(name);
    if (!plugin) return false;
    plugin.pausedByOperator = paused;
    if (!paused) {
      plugin.breaker.reset();
      this.#o.onAvailable(name);
    }
    return true;
  }

  route(parsed: ParsedEvent): string[] {
    const names: string[] = [];
    for (const plugin of this.#plugins.values()) {
      if (plugin.subscription.matches(parsed.event as MatchableEvent, parsed.kind === "known")) {
        names.push(plugin.name);
      }
    }
    return names;
  }

  async deliver(name: string, job: DeliveryJob): Promise<DeliveryOutcome> {
    for (;;) {
      const plugin = this.#plugins.get(name);
      if (!plugin) return this.#notLoaded();
      if (
        !plugin.subscription.matches(
          job.parsed.event as MatchableEvent,
          job.parsed.kind === "known",
        )
      ) {
        return {
          status: "gone",
          reason: `plugin version ${plugin.version} no longer subscribes to this event`,
        };
      }
      const now = this.#o.clock.now();
      if (plugin.pausedByOperator)
        return { status: "deferred", until: now + 60_000, reason: "paused by an operator" };
      const pausedUntil = plugin.breaker.pausedUntil(now);
      if (pausedUntil)
        return { status: "deferred", until: pausedUntil, reason: "paused by the circuit breaker" };
      if (!plugin.worker && !plugin.respawning && now < plugin.restartAt) return this.#down(plugin);

      const worker = await this.#responsiveWorker(plugin);
      // While this waited, a reload may have replaced the version (the worker is retiring, and the
      // new version may subscribe to other events) or the worker may have died: decide again.
      if (this.#plugins.get(name) !== plugin || (worker && worker !== plugin.worker)) continue;
      if (!worker) return this.#down(plugin);
      const outcome = await worker.deliver(
        job,
        plugin.manifest.timeoutMs ?? this.#defaultTimeoutMs,
      );
      if (outcome.status === "deferred") return outcome;
      const ok = outcome.status === "ok";
      if (ok) {
        plugin.delivered++;
        // It does its work again: a later death is restarted at once.
        plugin.restarts = 0;
        plugin.restartAt = 0;
      } else plugin.failed++;
      if (plugin.breaker.record(ok, this.#o.clock.now())) {
        this.#o.log.error(
          {
            plugin: name,
            failures: plugin.breaker.consecutiveFailures,
            cooldownMs: this.#tuning.breaker.cooldownMs,
          },
          "plugin paused by the circuit breaker after repeated failures",
        );
      }
      return outcome;
    }
  }

  /**
   * No plugin of this name is loaded. Unloading a plugin drops its deliveries by itself
   * (onRemoved), so this is a delivery recovered at start, or one racing an unload. While some
   * plugin file fails to load, it may be that plugin's (broken at start, its name unknown): the
   * delivery waits for the fix, which wakes it (onAvailable). With no file failing, it is gone.
   */
  #notLoaded(): DeliveryOutcome {
    const failing = [...this.#files].filter(([, record]) => record.error !== undefined);
    if (failing.length === 0) return { status: "gone", reason: "plugin is not loaded (removed)" };
    return {
      status: "deferred",
      until: this.#o.clock.now() + NOT_LOADED_RECHECK_MS,
      reason: `plugin is not loaded, and ${failing.map(([file]) => relative(this.#dir, file)).join(", ")} failed to load: waiting for a fix`,
    };
  }

  /** The plugin's worker is down and its restart waits (backoff): so does the delivery. */
  #down(plugin: Plugin): DeliveryOutcome {
    return {
      status: "deferred",
      until: Math.max(plugin.restartAt, this.#o.clock.now()),
      reason: `plugin is not running: ${plugin.error ?? "worker unavailable"}`,
    };
  }

  /** Runs a plugin's interval tasks now; resolves with how many ran (0 when not loaded). */
  async runTasks(name: string): Promise<number> {
    const plugin = this.#plugins.get(name);
    const worker = plugin && (await this.#responsiveWorker(plugin));
    return worker ? worker.runTasks() : 0;
  }

  /** Serves `/plugins/<name>/…` from the routes the plugin registered in setup. */
  async http(name: string, request: Request): Promise<Response> {
    const plugin = this.#plugins.get(name);
    if (!plugin) return new Response("no such plugin", { status: 404 });
    const path = new URL(request.url).pathname.slice(`/plugins/${name}`.length) || "/";
    if (
      !plugin.manifest.routes.some(
        (route) => route.path === path && route.method === request.method,
      )
    ) {
      return new Response("not found", { status: 404 });
    }
    const worker = await this.#responsiveWorker(plugin);
    // Replaced while this waited: the new version serves it (its routes may differ).
    if (this.#plugins.get(name) !== plugin || (worker && worker !== plugin.worker))
      return this.http(name, request);
    if (!worker) return new Response("plugin is not running", { status: 503 });
    return worker.http(request, plugin.manifest.timeoutMs ?? this.#defaultTimeoutMs);
  }

  /**
   * The plugin's worker, once it is known to be able to take work: a worker whose handler just
   * missed its deadline may be blocked, and is either confirmed alive or replaced. A plugin left
   * without a worker (its restart failed) is restarted again here, unless it is backing off.
   */
  async #responsiveWorker(plugin: Plugin): Promise<PluginWorker | undefined> {
    if (!plugin.worker && !plugin.respawning)
      this.#respawn(plugin, plugin.downReason ?? "worker not running");
    const worker = plugin.worker ?? (await plugin.respawning);
    if (!worker || (await worker.responsive())) return worker;
    // It died: onDeath already started its replacement (or it backs off).
    return plugin.worker ?? (await plugin.respawning);
  }

  /** Applies file changes (from the watcher, or called directly); resolves when they took effect. */
  reload(paths: string[]): Promise<void> {
    this.#queue = this.#queue
      .then(() => this.#apply(paths))
      .catch((error) => {
        this.#o.log.error({ err: error }, "plugin reload failed unexpectedly");
      });
    return this.#queue;
  }

  #emit(event: HostEvent): void {
    for (const listener of this.#listeners) listener(event);
  }

  #startWatching(): void {
    this.#watcher = new DirectoryWatcher(
      this.#tuning.debounceMs,
      (paths) => void this.reload(paths),
    );
    if (existsSync(this.#dir)) this.#watcher.watch(this.#dir, { recursive: true });
    const config = resolve(this.#configFile);
    const configDir = resolve(config, "..");
    if (existsSync(configDir)) {
      this.#watcher.watch(configDir, { recursive: false, filter: (path) => path === config });
    }
  }

  async #apply(paths: string[]): Promise<void> {
    if (this.#stopped) return;
    const entries = new Set(findPluginEntries(this.#dir));
    const toLoad = new Set<string>();
    const config = resolve(this.#configFile);
    for (const path of paths) {
      if (path === config) {
        try {
          this.#settings = readConfigFile(config, this.#tuning.defaultSettings).plugins;
          for (const entry of entries) toLoad.add(entry);
        } catch (error) {
          this.#o.log.error(
            { error: (error as Error).message },
            "config file is invalid; plugins keep their settings",
          );
        }
        continue;
      }
      if (entries.has(path)) toLoad.add(path);
      for (const [file, record] of this.#files) {
        if (record.files.includes(path) && entries.has(file)) toLoad.add(file);
      }
      // A new file inside a plugin's folder belongs to that plugin even before anything imports it.
      const top = relative(this.#dir, path).split(sep)[0];
      for (const entry of entries) {
        if (top && relative(this.#dir, entry).split(sep)[0] === top) toLoad.add(entry);
      }
    }
    // An entry never seen before is new whatever the report named: a watcher may split a rename
    // into two reports, or lose one side of it, and a rename must stay a swap.
    for (const entry of entries) if (!this.#files.has(entry)) toLoad.add(entry);
    // Loads first, so that a rename (a delete plus an add of the same plugin) is a swap, not a drop.
    await Promise.all([...toLoad].map((file) => this.#load(file, entries)));
    for (const file of [...this.#files.keys()]) {
      if (!entries.has(file)) this.#unload(file, "plugin file removed");
    }
  }

  async #load(file: string, entries: Set<string>): Promise<void> {
    const { files, version } = moduleGraph(file);
    const previous = this.#files.get(file);
    const current = previous?.name ? this.#plugins.get(previous.name) : undefined;
    // Editors touch files without changing them; a config edit may not concern this plugin.
    const unchanged =
      current?.file === file &&
      current.version === version &&
      !previous?.error &&
      previous?.settings === JSON.stringify(this.#settings[current.name] ?? null);
    if (unchanged) return;

    let worker: PluginWorker;
    try {
      worker = await this.#startWorker(file);
    } catch (error) {
      const message = error instanceof LoadError ? error.message : String(error);
      this.#files.set(file, { name: previous?.name, version, files, error: message });
      const keeps = current?.file === file ? `; version ${current.version} keeps running` : "";
      this.#o.log.error(
        { file: relative(this.#dir, file), error: message },
        `plugin failed to load${keeps}`,
      );
      this.#emit({ type: "failed", file, name: previous?.name, error: message });
      return;
    }

    const name = worker.manifest.name;
    const owner = this.#plugins.get(name);
    if (owner && owner.file !== file && entries.has(owner.file) && existsSync(owner.file)) {
      void worker.retire(0);
      const error = `plugin name "${name}" is already used by ${relative(this.#dir, owner.file)}`;
      this.#files.set(file, { name: undefined, version, files, error });
      this.#o.log.error({ file: relative(this.#dir, file) }, error);
      this.#emit({ type: "failed", file, name, error });
      return;
    }
    // The file now declares another name: its old plugin goes away.
    if (current && current.file === file && current.name !== name)
      this.#unload(file, `renamed to "${name}"`);

    const old = owner?.worker;
    const plugin: Plugin = {
      name,
      file,
      version,
      manifest: worker.manifest,
      subscription: compileSubscription({
        queries: worker.manifest.queries,
        chats: worker.manifest.chats,
        standby: worker.manifest.standby,
      }),
      worker,
      respawning: undefined,
      downReason: undefined,
      restarts: 0,
      restartAt: 0,
      breaker: new CircuitBreaker(this.#tuning.breaker),
      pausedByOperator: owner?.pausedByOperator ?? false,
      loadedAt: this.#o.clock.now(),
      error: undefined,
      delivered: owner?.delivered ?? 0,
      failed: owner?.failed ?? 0,
    };
    this.#plugins.set(name, plugin);
    if (owner && owner.file !== file) this.#files.delete(owner.file);
    this.#files.set(file, {
      name,
      version,
      files,
      error: undefined,
      settings: JSON.stringify(this.#settings[name] ?? null),
    });
    // The old version finishes what it has in flight; new deliveries already go to the new one.
    if (old) void old.retire(this.#tuning.drainMs);
    this.#o.log.info(
      {
        plugin: name,
        version,
        file: relative(this.#dir, file),
        subscriptions: worker.manifest.queries,
      },
      owner ? "plugin reloaded" : "plugin loaded",
    );
    this.#emit({ type: "loaded", name, file, version, reload: owner !== undefined });
    this.#o.onAvailable(name);
  }

  #env(): WorkerEnv {
    if (!this.#workerEnv) throw new LoadError("the plugin host has not started");
    return this.#workerEnv;
  }

  #startWorker(file: string): Promise<PluginWorker> {
    let started: PluginWorker | undefined;
    const worker = PluginWorker.start({
      moduleUrl: pathToFileURL(file).href,
      pool: this.#pool,
      settings: this.#settings,
      env: this.#env(),
      clock: this.#o.clock,
      log: this.#o.log.child({ file: relative(this.#dir, file) }),
      loadTimeoutMs: this.#tuning.loadTimeoutMs,
      hangGraceMs: this.#tuning.hangGraceMs,
      pushOutsideEvent: (to, messages) => {
        if (!started) throw new Error("plugin is not loaded yet");
        return this.#o.pushOutsideEvent(started.manifest.name, to, messages);
      },
      onApiCall: (plugin, endpoint, status) => this.#o.onApiCall?.(plugin, endpoint, status),
      onDeath: (reason) => {
        // Looked up when it dies, not when it starts: the Plugin record is made after the worker
        // started. Only the worker currently serving its plugin is replaced; a retired one is not.
        const plugin = started && this.#plugins.get(started.manifest.name);
        if (plugin && plugin.worker === started) this.#respawn(plugin, reason);
      },
    });
    void worker.then(
      (ready) => {
        started = ready;
      },
      () => undefined,
    );
    return worker;
  }

  /**
   * A worker died (a handler blocked its thread, it crashed), or a plugin left without one gets
   * work: start the same version afresh. A worker that keeps dying before it handles anything is
   * restarted with a growing delay (the next delivery after `restartAt` tries again), so a crash
   * loop does not spin; until then the plugin reports "failed".
   */
  #respawn(plugin: Plugin, reason: string): void {
    if (this.#stopped || this.#plugins.get(plugin.name) !== plugin) return;
    plugin.worker = undefined;
    plugin.downReason = reason;
    if (plugin.respawning) return;
    const now = this.#o.clock.now();
    if (now < plugin.restartAt) {
      plugin.error = `worker stopped (${reason}); next restart at ${new Date(plugin.restartAt).toISOString()}`;
      this.#o.log.warn(
        { plugin: plugin.name, reason, restartAt: plugin.restartAt },
        "plugin worker down; restart backs off",
      );
      return;
    }
    plugin.restarts++;
    plugin.restartAt =
      now + Math.min(RESTART_BACKOFF_MS * 2 ** (plugin.restarts - 1), MAX_RESTART_BACKOFF_MS);
    plugin.error = `worker stopped (${reason}); restarting`;
    this.#o.log.warn(
      { plugin: plugin.name, reason, restart: plugin.restarts },
      "restarting the plugin's worker",
    );

    // Only the version that was running may be started under its record. A file changed since
    // (a reload still to come, or one that failed and left this version running) is loaded the
    // normal way instead: that swaps the new version in, or reports it and keeps this record.
    if (moduleGraph(plugin.file).version !== plugin.version) {
      plugin.respawning = this.reload([plugin.file]).then(() => {
        plugin.respawning = undefined;
        const current = this.#plugins.get(plugin.name);
        if (current === plugin) {
          const failure = this.#files.get(plugin.file)?.error ?? "it was not loaded";
          plugin.error = `could not restart after "${reason}": the file changed since version ${plugin.version}, and the new version failed: ${failure}`;
        }
        return current?.worker;
      });
      return;
    }

    plugin.respawning = this.#startWorker(plugin.file).then(
      async (worker) => {
        plugin.respawning = undefined;
        if (this.#stopped || this.#plugins.get(plugin.name) !== plugin) {
          await worker.retire(0);
          return undefined;
        }
        plugin.worker = worker;
        plugin.error = undefined;
        this.#o.onAvailable(plugin.name);
        return worker;
      },
      (error: unknown) => {
        plugin.error = `could not restart after "${reason}": ${(error as Error).message}`;
        plugin.respawning = undefined;
        this.#o.log.error(
          { plugin: plugin.name, error: plugin.error, restartAt: plugin.restartAt },
          "plugin worker could not be restarted",
        );
        return undefined;
      },
    );
  }

  #unload(file: string, reason: string): void {
    const record = this.#files.get(file);
    this.#files.delete(file);
    const plugin = record?.name ? this.#plugins.get(record.name) : undefined;
    if (!plugin || plugin.file !== file) return;
    this.#plugins.delete(plugin.name);
    this.#o.onRemoved(plugin.name, `${reason} (${relative(this.#dir, file)})`);
    void plugin.worker?.retire(this.#tuning.drainMs);
    this.#o.log.info(
      { plugin: plugin.name, file: relative(this.#dir, file), reason },
      "plugin unloaded",
    );
    this.#emit({ type: "unloaded", name: plugin.name, file, reason });
  }
}
