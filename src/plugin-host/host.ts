import { relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Config } from "../config/options.ts";
import type { Clock } from "../core/clock.ts";
import type { ParsedEvent } from "../core/events.ts";
import { type HostSettings, splitSettings } from "../core/push-policy.ts";
import type { SessionScope } from "../core/sessions.ts";
import type {
  DeliveryJob,
  DeliveryOutcome,
  PluginChange,
  PluginGateway,
} from "../dispatch/types.ts";
import { LineProxy, type LineProxyOptions, type LineUpstream } from "../line/proxy.ts";
import type { Logger } from "../logging/logger.ts";
import type { ChannelRichMenus } from "../rich-menus/channels.ts";
import type { JobDeclaration } from "../schedules/requests.ts";
import type { JobGateway, JobRun, PluginSchedules } from "../schedules/types.ts";
import type { MatchableEvent } from "../sdk/filter.ts";
import {
  byPriority,
  type Decision,
  decide,
  HOST_RESPONDER,
  type RoutingPlugin,
} from "../sdk/routing.ts";
import { commandConflicts } from "./command-conflicts.ts";
import type { HostEvent } from "./host-events.ts";
import { answerAsHost } from "./host-responder.ts";
import { runJobOn } from "./job-runs.ts";
import { type LineEnv, lineEnv, menusSynced } from "./launch-parts.ts";
import { type PluginSettings, type PluginVersion, servesRoute } from "./plugin-version.ts";
import { PluginWorker } from "./plugin-worker.ts";
import type { WorkerEnv } from "./protocol.ts";
import { Reloader } from "./reloader.ts";
import type { HostServices } from "./rpc-server.ts";
import type { StateServices } from "./state-rpc.ts";
import { type DeliveryCounts, type PluginStatus, pluginStatus } from "./status.ts";
import { PluginSupervisor } from "./supervisor.ts";
import { within } from "./within.ts";
import { LoadError } from "./worker-load.ts";
import { WorkerPool } from "./worker-pool.ts";

export type { HostEvent, ParkedEvent, ProtocolErrorEvent } from "./host-events.ts";
export type { PluginState, PluginStatus } from "./status.ts";

/** What every plugin's worker gets as it is: not its way to LINE, nor the public URL. */
export type WorkerConnections = Omit<WorkerEnv, "publicUrl" | "retry" | keyof LineEnv>;

export interface PluginHostOptions {
  /** Reads PLUGINS_DIR, CONFIG_FILE, HANDLER_TIMEOUT_MS and the plugin host's tuning knobs. */
  config: Config;
  clock: Clock;
  log: Logger;
  /** LINE, for the proxy the host runs for its workers: they never get the token. */
  line: LineUpstream;
  worker: WorkerConnections;
  /** Plugin state, served to the workers (they never open a database themselves). */
  state: Omit<StateServices, "now">;
  pushOutsideEvent: HostServices["pushOutsideEvent"];
  /**
   * The key that signs a plugin's postback data, derived from the channel secret: a worker gets
   * its own plugin's key, never the secret (see `postbackKey` in sdk/postback-data.ts).
   */
  postbackKey(plugin: string): Uint8Array;
  /** Plugins' `ctx.schedule` and `ctx.schedules` outside a run (setup, routes). */
  schedules: PluginSchedules;
  /**
   * Syncs plugins' rich menus with LINE, in each channel that runs them; without it (a bare host
   * in a test) none can load.
   */
  richMenus?: ChannelRichMenus;
  /** Each channel's rate limiter, and the push guard, for the workers' calls through the proxy. */
  lineProxy?: LineProxyOptions;
  /** Answers a tap on "tap to see the answer" (the dispatcher's TapToSee). */
  tapAnswers?(job: DeliveryJob): Promise<DeliveryOutcome>;
  /** The LINE channels: which plugins each runs; the config file naming them changed. */
  channels?: { runs(channel: string, plugin: string): boolean; configChanged(): void };
  /** A plugin's worker made one LINE API attempt (metrics). */
  onApiCall?(plugin: string, endpoint: string, status: string): void;
  /** A plugin's log line was dropped, over its budget (metrics). */
  onLogDropped?(plugin: string): void;
}

/**
 * How long a delivery for a plugin that is not loaded waits while some plugin file fails to load:
 * a fixed file wakes it at once (an "available" change), so this is only the re-check interval.
 */
const NOT_LOADED_RECHECK_MS = 60_000;

/**
 * The plugins by name: each loaded into its own worker, kept running by its supervisor, swapped
 * by the reloader when its files change. Routes events and runs deliveries and route requests.
 */
export class PluginHost implements PluginGateway, JobGateway {
  readonly #o: PluginHostOptions;
  readonly #dir: string;
  readonly #plugins = new Map<string, PluginSupervisor>();
  /** The names in #plugins and the host's responder, as a set: the dispatcher asks at every claim. */
  readonly #loaded = new Set<string>([HOST_RESPONDER]);
  /** The running versions' routing, highest priority first; rebuilt when a version comes or goes. */
  #routing: RoutingPlugin[] = [];
  readonly #counts = new Map<string, DeliveryCounts>();
  readonly #listeners = new Set<(event: HostEvent) => void>();
  readonly #changeListeners = new Set<(change: PluginChange) => void>();
  readonly #reloader: Reloader;
  readonly #pool: WorkerPool;
  /** Set by start(): the public URL is known once the server listens. */
  #workerEnv: Omit<WorkerEnv, keyof LineEnv> | undefined;
  /** The workers' way to LINE, from start() to stop(). */
  #lineProxy: LineProxy | undefined;
  #ready = false;

  constructor(options: PluginHostOptions) {
    this.#o = options;
    const { env, tuning } = options.config;
    this.#dir = resolve(env.PLUGINS_DIR);
    this.#pool = new WorkerPool({ idleMs: env.PLUGIN_IDLE_MS });
    this.#reloader = new Reloader({
      dir: this.#dir,
      configFile: env.CONFIG_FILE,
      defaultSettings: tuning.defaultSettings,
      debounceMs: tuning.debounceMs,
      files: tuning.pluginFiles,
      clock: options.clock,
      log: options.log,
      launch: (file, settings) => this.#launch(file, settings),
      onConfigFile: () => options.channels?.configChanged(),
      plugins: {
        get: (name) => this.#plugins.get(name)?.version,
        // LINE slow to answer holds a version back no longer than a load may take; the sync goes on.
        prepare: async (name, worker) => {
          const sync = this.#o.richMenus?.sync(name, worker.richMenus.take());
          if (sync) await within(options.config.tuning.loadTimeoutMs, sync);
        },
        install: (version, worker) => this.#install(version, worker),
        remove: (name, reason) => this.#remove(name, reason),
      },
      emit: (event) => this.#emit(event),
    });
  }

  get ready(): boolean {
    return this.#ready;
  }

  /**
   * Loads all plugins (a plugin that fails is reported and skipped). Watching starts first: a
   * change made while they load is reloaded right after, in the reloader's order.
   */
  async start(publicUrl: string): Promise<void> {
    const { tuning } = this.#o.config;
    this.#workerEnv = { ...this.#o.worker, publicUrl, retry: tuning.lineRetry };
    this.#lineProxy = new LineProxy(this.#o.line, this.#o.lineProxy);
    if (tuning.watch) this.#reloader.watch();
    await this.#reloader.loadAll();
    const loaded = [...this.#plugins.keys()];
    const failed = this.#reloader.files().filter((file) => file.error !== undefined).length;
    // Menus of plugins removed while the bot was down; a file that failed may be theirs.
    const collecting = failed === 0 ? this.#o.richMenus?.collect(new Set(loaded)) : undefined;
    if (collecting) await within(tuning.loadTimeoutMs, collecting);
    this.#ready = true;
    this.#o.log.info(
      { dir: this.#dir, loaded, failed },
      `plugins loaded: ${loaded.length} ok, ${failed} failed`,
    );
  }

  async stop(): Promise<void> {
    const stopping = [...this.#plugins.values()].map((plugin) => plugin.stop());
    await this.#reloader.stop();
    // A load under way when the host began to stop has finished by now: its version stops too.
    await Promise.all([...stopping, ...[...this.#plugins.values()].map((plugin) => plugin.stop())]);
    await this.#o.richMenus?.idle();
    await this.#pool.release();
    await this.#lineProxy?.stop();
  }

  onChange(listener: (change: PluginChange) => void): () => void {
    this.#changeListeners.add(listener);
    return () => this.#changeListeners.delete(listener);
  }

  /** Listens to loads, failures and unloads; returns the unsubscribe function. */
  subscribe(listener: (event: HostEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Applies file changes (from the watcher, or called directly); resolves when they took effect. */
  reload(paths: string[]): Promise<void> {
    return this.#reloader.reload(paths);
  }

  statuses(): PluginStatus[] {
    const now = this.#o.clock.now();
    return this.#reloader
      .files()
      .map((record) => {
        const plugin = record.name ? this.#plugins.get(record.name) : undefined;
        const running = plugin?.version.file === record.file ? plugin : undefined;
        const counts = running && this.#counts.get(running.version.name);
        const file = relative(this.#dir, record.file);
        return pluginStatus({ record, file, running, counts, now });
      })
      .sort((a, b) => a.file.localeCompare(b.file));
  }

  /** Pauses or resumes a plugin by hand: its deliveries wait, they are not dropped. */
  setPaused(name: string, paused: boolean): boolean {
    const plugin = this.#plugins.get(name);
    if (!plugin) return false;
    plugin.setPaused(paused);
    if (!paused) this.#changed({ type: "available", plugin: name });
    return true;
  }

  loaded(): ReadonlySet<string> {
    return this.#loaded;
  }

  isGone(plugin: string): boolean {
    if (this.#plugins.has(plugin) || plugin === HOST_RESPONDER) return false;
    return this.#reloader.files().every((file) => file.error === undefined);
  }

  /** Who gets the event (see sdk/routing.ts): the plugins, and maybe the host's responder. */
  route(parsed: ParsedEvent, destination?: string, dialogs?: ReadonlySet<string>): string[] {
    const plugins = [...this.#decide(parsed, destination, dialogs).keys()];
    const { channels } = this.#o;
    return channels ? plugins.filter((plugin) => channels.runs(parsed.channel, plugin)) : plugins;
  }

  /** The session scopes the plugin keeps (see `PluginGateway.sessionScopes`). */
  sessionScopes(plugin: string): readonly SessionScope[] {
    const manifest = this.#plugins.get(plugin)?.version.manifest;
    if (!manifest) return [];
    return manifest.dialogs.length > 0 ? [...manifest.sessions, "dialog"] : manifest.sessions;
  }

  /** The loaded plugins that declare dialogs. */
  dialogPlugins(): string[] {
    return this.#routing.filter((plugin) => plugin.dialogs).map((plugin) => plugin.name);
  }

  /** The host's keys of the plugin's settings section (`pushPolicy`, `tapToSee`). */
  hostSettingsOf(plugin: string): HostSettings {
    return splitSettings(this.#plugins.get(plugin)?.version.settings[plugin]);
  }

  /** Replies of higher priority plugins come first in an event's merged reply. */
  priorityOf(plugin: string): number {
    if (plugin === HOST_RESPONDER) return Number.MAX_SAFE_INTEGER;
    return this.#plugins.get(plugin)?.version.routing.priority ?? 0;
  }

  /** The loaded plugins' routing, highest priority first (the simulator lists their commands). */
  routing(): readonly RoutingPlugin[] {
    return this.#routing;
  }

  async deliver(name: string, job: DeliveryJob): Promise<DeliveryOutcome> {
    if (name === HOST_RESPONDER) {
      const role = this.#decide(job.parsed, job.destination).get(name);
      if (!role) return { status: "gone", reason: "the event is no longer the host's to answer" };
      if (role.as === "answer" && this.#o.tapAnswers) return this.#o.tapAnswers(job);
      return answerAsHost(job, role, this.#routing);
    }
    const plugin = this.#plugins.get(name);
    if (!plugin) return this.#notLoaded();
    // Decided again now, for the version that will run it: routing at ingest kept only the names.
    // The plugin's own open dialog is in its sessions; routing at ingest saw every plugin's.
    const dialogs = job.sessions.dialog ? new Set([name]) : undefined;
    const roleOf = (version: PluginVersion) =>
      this.#decide(job.parsed, job.destination, dialogs).get(version.name);
    const acquired = await plugin.acquire({
      heedsPause: true,
      refuses: (version) =>
        roleOf(version)
          ? undefined
          : `plugin version ${version.version} is no longer routed this event`,
    });
    if ("unloaded" in acquired) return this.#notLoaded();
    if ("refused" in acquired) return { status: "gone", reason: acquired.refused };
    if ("until" in acquired) return { status: "deferred", ...acquired };

    const { worker, supervisor } = acquired;
    const role = roleOf(supervisor.version);
    if (!role) return { status: "gone", reason: "the plugin is no longer routed this event" };
    const outcome = await worker.deliver(job, role, this.#timeoutOf(supervisor.version));
    if (outcome.status === "deferred") return outcome;
    const ok = outcome.status === "ok";
    supervisor.settled(ok);
    const counts = this.#counts.get(name);
    if (counts) counts[ok ? "delivered" : "failed"]++;
    return outcome;
  }

  /** Serves `/plugins/<name>/…` from the routes the plugin registered in setup. */
  async http(name: string, request: Request): Promise<Response> {
    const acquired = await this.#plugins.get(name)?.acquire({
      refuses: (version) => (servesRoute(version, request) ? undefined : "not found"),
    });
    if (!acquired || "unloaded" in acquired) return new Response("no such plugin", { status: 404 });
    if ("refused" in acquired) return new Response("not found", { status: 404 });
    if ("until" in acquired) return new Response("plugin is not running", { status: 503 });
    return acquired.worker.http(request, this.#timeoutOf(acquired.supervisor.version));
  }

  jobs(): ReadonlyMap<string, ReadonlySet<string>> {
    const jobs = (plugin: PluginSupervisor) => plugin.version.manifest.jobs.map((job) => job.name);
    return new Map([...this.#plugins].map(([name, plugin]) => [name, new Set(jobs(plugin))]));
  }

  declarations(plugin: string): readonly JobDeclaration[] {
    return this.#plugins.get(plugin)?.version.manifest.jobs ?? [];
  }

  runJob(run: JobRun): Promise<DeliveryOutcome> {
    return runJobOn(this.#plugins.get(run.plugin), run, (version) => this.#timeoutOf(version));
  }

  /**
   * No plugin of this name is loaded. Unloading a plugin drops its deliveries by itself
   * (a "removed" change), so this is a delivery recovered at start, or one racing an unload. While some
   * plugin file fails to load, it may be that plugin's (broken at start, its name unknown): the
   * delivery waits for the fix, which wakes it ("available"). With no file failing, it is gone.
   */
  #notLoaded(): DeliveryOutcome {
    const failing = this.#reloader.files().filter((file) => file.error !== undefined);
    if (failing.length === 0) return { status: "gone", reason: "plugin is not loaded (removed)" };
    const files = failing.map(({ file }) => relative(this.#dir, file)).join(", ");
    return {
      status: "deferred",
      until: this.#o.clock.now() + NOT_LOADED_RECHECK_MS,
      reason: `plugin is not loaded, and ${files} failed to load: waiting for a fix`,
    };
  }

  #decide(parsed: ParsedEvent, destination?: string, dialogs?: ReadonlySet<string>): Decision {
    const event = parsed.event as MatchableEvent;
    const known = parsed.kind === "known";
    return decide({ event, known, botUserId: destination, plugins: this.#routing, dialogs });
  }

  #rebuildRouting(): void {
    this.#routing = [...this.#plugins.values()].map((p) => p.version.routing).sort(byPriority);
  }

  /** Two plugins naming a command by one word: the higher priority gets it; say so once, at load. */
  #warnConflicts(version: PluginVersion): void {
    for (const conflict of commandConflicts(version.routing, this.#routing, byPriority))
      this.#o.log.warn(
        conflict,
        `command "${conflict.word}" is declared by ${conflict.winner} and ${conflict.loser}: ${conflict.winner} gets it (higher priority, or first by name)`,
      );
  }

  #timeoutOf(version: PluginVersion): number {
    return version.manifest.timeoutMs ?? this.#o.config.env.HANDLER_TIMEOUT_MS;
  }

  #emit(event: HostEvent): void {
    for (const listener of this.#listeners) listener(event);
    if (event.type === "loaded") this.#changed({ type: "available", plugin: event.name });
  }

  #changed(change: PluginChange): void {
    for (const listener of this.#changeListeners) listener(change);
  }

  /** The new version serves from now on; the one before finishes what it has in flight. */
  #install(version: PluginVersion, worker: PluginWorker): void {
    const { name, file } = version;
    const { clock, log, config } = this.#o;
    const before = this.#plugins.get(name);
    const plugin = new PluginSupervisor({
      version,
      worker,
      clock,
      log,
      breaker: config.tuning.breaker,
      drainMs: config.tuning.drainMs,
      paused: before?.paused ?? false,
      launch: (file, settings) => this.#launch(file, settings).then(menusSynced),
      filesChanged: () => this.#reloader.changedSince(version),
      reloadFile: () => this.reload([file]).then(() => this.#reloader.errorOf(file)),
      onAvailable: () => this.#changed({ type: "available", plugin: name }),
      onParked: () => this.#emit({ type: "parked", name }),
    });
    this.#plugins.set(name, plugin);
    this.#loaded.add(name);
    this.#rebuildRouting();
    this.#warnConflicts(version);
    if (!this.#counts.has(name)) this.#counts.set(name, { delivered: 0, failed: 0 });
    before?.handOver(plugin);
  }

  #remove(name: string, reason: string): void {
    const plugin = this.#plugins.get(name);
    this.#plugins.delete(name);
    this.#loaded.delete(name);
    this.#rebuildRouting();
    this.#counts.delete(name);
    this.#changed({ type: "removed", plugin: name, reason });
    plugin?.unload();
    void this.#o.richMenus?.drop(name);
  }

  async #launch(file: string, settings: PluginSettings): Promise<PluginWorker> {
    if (!this.#workerEnv || !this.#lineProxy)
      throw new LoadError("the plugin host has not started");
    const { clock, log, config } = this.#o;
    const line = this.#lineProxy.grant();
    const starting = PluginWorker.start({
      moduleUrl: pathToFileURL(file).href,
      pool: this.#pool,
      settings,
      env: { ...this.#workerEnv, ...lineEnv(line.access) },
      onGone: line.revoke,
      state: { ...this.#o.state, now: () => clock.now() },
      workerState: {
        dialect: this.#o.state.plugins.dialect,
        transactionTimeoutMs: config.tuning.pluginState.transactionTimeoutMs,
        files: this.#o.state.plugins.files ? "store" : "local",
      },
      clock,
      log: log.child({ file: relative(this.#dir, file) }),
      loadTimeoutMs: config.tuning.loadTimeoutMs,
      hangGraceMs: config.tuning.hangGraceMs,
      idleMs: config.env.PLUGIN_IDLE_MS,
      pushOutsideEvent: (...push) => this.#o.pushOutsideEvent(...push),
      postbackKey: (plugin) => this.#o.postbackKey(plugin),
      schedules: this.#o.schedules,
      ...(this.#o.richMenus ? { richMenus: this.#o.richMenus } : {}),
      logBudget: config.tuning.pluginLogBudget,
      onApiCall: (plugin, endpoint, status) => this.#o.onApiCall?.(plugin, endpoint, status),
      onLogDropped: (plugin) => this.#o.onLogDropped?.(plugin),
      onProtocolError: (name, error) => this.#emit({ type: "protocol-error", name, file, error }),
    });
    // A worker that never loaded is gone too; a loaded one revokes its grant when terminated.
    starting.then((worker) => line.identify(worker.manifest.name), line.revoke);
    return starting;
  }
}
