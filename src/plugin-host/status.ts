import type { PluginManifest } from "./manifest.ts";
import type { PluginFile } from "./reloader.ts";
import type { PluginSupervisor } from "./supervisor.ts";

/** "failed": no version is running, or the running version's worker is down (see `error`). */
export type PluginState = "loaded" | "paused" | "failed";

export interface PluginStatus {
  name: string | undefined;
  /** Relative to the plugins directory. */
  file: string;
  state: PluginState;
  /** Loaded, its worker stopped while idle: the next event, job or request starts it again. */
  parked: boolean;
  version: string | undefined;
  subscriptions: string[];
  /** The subscriptions whose handler is a fallback (runs only when nothing else took the event). */
  fallbacks: string[];
  chats: string[] | undefined;
  /** Higher answers first (see `PluginDefinition.priority`); 0 when no version runs. */
  priority: number;
  /** Its commands, declared and registered in setup. */
  commands: PluginManifest["commands"];
  /** Its postback routes. */
  postbacks: string[];
  /** The last load or reload error; with state "loaded" the previous version is still running. */
  error: string | undefined;
  loadedAt: number | undefined;
  delivered: number;
  failed: number;
  consecutiveFailures: number;
}

/** Handled deliveries of a plugin, across its versions. */
export interface DeliveryCounts {
  delivered: number;
  failed: number;
}

/** A plugin file's status, with the supervisor of the version it runs (none: failing, or never loaded). */
export function pluginStatus(parts: {
  record: PluginFile;
  file: string;
  running: PluginSupervisor | undefined;
  counts: DeliveryCounts | undefined;
  now: number;
}): PluginStatus {
  const { record, running, counts } = parts;
  const version = running?.version;
  const state = running?.state(parts.now) ?? "failed";
  // A version whose worker died and could not be restarted (yet) runs nothing.
  const down = running !== undefined && state === "failed";
  return {
    name: version?.name ?? record.name,
    file: parts.file,
    state,
    parked: running?.parked ?? false,
    version: version?.version,
    subscriptions: version?.manifest.queries ?? [],
    fallbacks: version?.manifest.fallbacks ?? [],
    chats: version?.manifest.chats,
    priority: version?.manifest.priority ?? 0,
    commands: version?.manifest.commands ?? [],
    postbacks: version?.manifest.postbacks ?? [],
    error: (down ? running.error : undefined) ?? record.error ?? running?.error,
    loadedAt: version?.loadedAt,
    delivered: counts?.delivered ?? 0,
    failed: counts?.failed ?? 0,
    consecutiveFailures: running?.consecutiveFailures ?? 0,
  };
}
