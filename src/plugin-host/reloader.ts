import { existsSync } from "node:fs";
import { relative, resolve, sep } from "node:path";
import { readConfigFile } from "../config/config-file.ts";
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../logging/logger.ts";
import { findPluginEntries, moduleGraph, type PluginFiles } from "./discovery.ts";
import {
  type Launch,
  type PluginSettings,
  type PluginVersion,
  pluginVersion,
} from "./plugin-version.ts";
import type { PluginWorker } from "./plugin-worker.ts";
import { DirectoryWatcher } from "./watcher.ts";
import { LoadError } from "./worker-load.ts";

/** What became of a plugin file: a version loaded (or swapped in), a load failed, an unload. */
export type ReloadEvent =
  | { type: "loaded"; name: string; file: string; version: string; reload: boolean }
  | { type: "failed"; file: string; name: string | undefined; error: string }
  | { type: "unloaded"; name: string; file: string; reason: string };

/** The registry, as the reloader sees it: the version running under each name, and swaps. */
export interface RunningVersions {
  get(name: string): PluginVersion | undefined;
  /** Readies a loaded worker to serve its name: its rich menus synced with LINE. */
  prepare(name: string, worker: PluginWorker): Promise<void>;
  /** From now on this version serves its name, in place of the one before (if any). */
  install(version: PluginVersion, worker: PluginWorker): void;
  remove(name: string, reason: string): void;
}

export interface ReloaderOptions {
  dir: string;
  configFile: string;
  /** Settings each plugin gets under its section of the config file (local mode's demo page). */
  defaultSettings: Record<string, Record<string, unknown>>;
  /** How long the plugins directory must be quiet before a change is loaded. */
  debounceMs: number;
  /** Live plugin files, or the next versions (shadow runs). */
  files: PluginFiles;
  clock: Clock;
  log: Logger;
  launch: Launch;
  plugins: RunningVersions;
  emit(event: ReloadEvent): void;
  /** The config file changed (its other sections than the plugins' are someone else's). */
  onConfigFile?(): void;
}

/** What the reloader knows of one plugin file. */
export interface PluginFile {
  file: string;
  /** The name its running version declared (or, after a failed load, the one it had before). */
  name: string | undefined;
  /** The last load error; while set, the version loaded before (if any) keeps running. */
  error: string | undefined;
}

interface FileRecord extends PluginFile {
  version: string;
  /** The files its module graph is made of: a change to any of them reloads it. */
  files: string[];
  /** The plugin's settings section the running version was loaded with, as JSON. */
  settings?: string;
}

/**
 * Turns changes to the plugins directory and the config file into loads and unloads, one batch at
 * a time, in order. A version is swapped in only once it has loaded; a file that fails to load
 * leaves the version before it running; two files may not declare the same name.
 */
export class Reloader {
  readonly #o: ReloaderOptions;
  readonly #dir: string;
  readonly #configFile: string;
  readonly #files = new Map<string, FileRecord>();
  #settings: PluginSettings = {};
  #queue: Promise<void> = Promise.resolve();
  #watcher: DirectoryWatcher | undefined;
  /** stop() began: nothing loads or unloads any more. */
  #stopped = false;

  constructor(options: ReloaderOptions) {
    this.#o = options;
    this.#dir = resolve(options.dir);
    this.#configFile = resolve(options.configFile);
  }

  /** Every plugin file seen, loaded or failing. */
  files(): PluginFile[] {
    return [...this.#files.values()].map(({ file, name, error }) => ({ file, name, error }));
  }

  errorOf(file: string): string | undefined {
    return this.#files.get(file)?.error;
  }

  /** Whether a version's files changed since it was loaded from them. */
  changedSince(version: PluginVersion): boolean {
    return moduleGraph(version.file).version !== version.version;
  }

  /** Watches the plugins directory and the config file; each batch of changes is reloaded. */
  watch(): void {
    this.#watcher = new DirectoryWatcher(this.#o.debounceMs, (paths) => void this.reload(paths));
    if (existsSync(this.#dir)) this.#watcher.watch(this.#dir, { recursive: true });
    const configDir = resolve(this.#configFile, "..");
    if (existsSync(configDir)) {
      const config = this.#configFile;
      this.#watcher.watch(configDir, { recursive: false, filter: (path) => path === config });
    }
  }

  /** Reads the settings and loads every plugin file; rejects when the config file is invalid. */
  loadAll(): Promise<void> {
    return this.#enqueue(async () => {
      this.#settings = readConfigFile(this.#configFile, this.#o.defaultSettings).plugins;
      await this.#apply([]);
    });
  }

  /** Applies file changes (from the watcher, or called directly); resolves when they took effect. */
  reload(paths: string[]): Promise<void> {
    return this.#enqueue(() => this.#apply(paths)).catch((error) => {
      this.#o.log.error({ err: error }, "plugin reload failed unexpectedly");
    });
  }

  /** Stops watching; resolves once a batch under way has finished. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#watcher?.close();
    await this.#queue;
  }

  #enqueue(batch: () => Promise<void>): Promise<void> {
    const run = this.#queue.then(batch);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #apply(paths: string[]): Promise<void> {
    if (this.#stopped) return;
    const entries = new Set(findPluginEntries(this.#dir, this.#o.files));
    const toLoad = new Set<string>();
    for (const path of paths) {
      if (path === this.#configFile) {
        this.#o.onConfigFile?.();
        if (this.#rereadSettings()) for (const entry of entries) toLoad.add(entry);
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

  #rereadSettings(): boolean {
    try {
      this.#settings = readConfigFile(this.#configFile, this.#o.defaultSettings).plugins;
      return true;
    } catch (error) {
      this.#o.log.error(
        { error: (error as Error).message },
        "config file is invalid; plugins keep their settings",
      );
      return false;
    }
  }

  #settingsOf(name: string): string {
    return JSON.stringify(this.#settings[name] ?? null);
  }

  async #load(file: string, entries: Set<string>): Promise<void> {
    const { files, version } = moduleGraph(file);
    const previous = this.#files.get(file);
    const current = previous?.name ? this.#o.plugins.get(previous.name) : undefined;
    // Editors touch files without changing them; a config edit may not concern this plugin.
    const unchanged =
      current?.file === file &&
      current.version === version &&
      !previous?.error &&
      previous?.settings === this.#settingsOf(current.name);
    if (unchanged) return;

    const settings = this.#settings;
    let worker: PluginWorker;
    try {
      worker = await this.#o.launch(file, settings);
    } catch (error) {
      const message = error instanceof LoadError ? error.message : String(error);
      this.#files.set(file, { file, name: previous?.name, version, files, error: message });
      const keeps = current?.file === file ? `; version ${current.version} keeps running` : "";
      this.#o.log.error(
        { file: this.#relative(file), error: message },
        `plugin failed to load${keeps}`,
      );
      this.#o.emit({ type: "failed", file, name: previous?.name, error: message });
      return;
    }

    const name = worker.manifest.name;
    const owner = this.#o.plugins.get(name);
    if (owner && owner.file !== file && entries.has(owner.file) && existsSync(owner.file)) {
      void worker.retire(0);
      const error = `plugin name "${name}" is already used by ${this.#relative(owner.file)}`;
      this.#files.set(file, { file, name: undefined, version, files, error });
      this.#o.log.error({ file: this.#relative(file) }, error);
      this.#o.emit({ type: "failed", file, name, error });
      return;
    }
    // Only now that it will serve: a version refused above changes nothing at LINE.
    await this.#o.plugins.prepare(name, worker);
    // The file now declares another name: its old plugin goes away.
    if (current && current.file === file && current.name !== name)
      this.#unload(file, `renamed to "${name}"`);

    const loadedAt = this.#o.clock.now();
    const { manifest } = worker;
    this.#o.plugins.install(
      pluginVersion({ name, file, version, manifest, settings, loadedAt }),
      worker,
    );
    // A rename of the file: the plugin now runs from the new one.
    if (owner && owner.file !== file) this.#files.delete(owner.file);
    this.#files.set(file, {
      file,
      name,
      version,
      files,
      error: undefined,
      settings: this.#settingsOf(name),
    });
    this.#o.log.info(
      { plugin: name, version, file: this.#relative(file), subscriptions: manifest.queries },
      owner ? "plugin reloaded" : "plugin loaded",
    );
    this.#o.emit({ type: "loaded", name, file, version, reload: owner !== undefined });
  }

  #unload(file: string, reason: string): void {
    const record = this.#files.get(file);
    this.#files.delete(file);
    const running = record?.name ? this.#o.plugins.get(record.name) : undefined;
    if (!running || running.file !== file) return;
    const { name } = running;
    this.#o.plugins.remove(name, `${reason} (${this.#relative(file)})`);
    this.#o.log.info({ plugin: name, file: this.#relative(file), reason }, "plugin unloaded");
    this.#o.emit({ type: "unloaded", name, file, reason });
  }

  #relative(file: string): string {
    return relative(this.#dir, file);
  }
}
