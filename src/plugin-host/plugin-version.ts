import type { ParsedEvent } from "../core/events.ts";
import {
  type CompiledSubscription,
  compileSubscription,
  type MatchableEvent,
} from "../sdk/filter.ts";
import type { PluginManifest } from "./manifest.ts";
import type { PluginWorker } from "./plugin-worker.ts";

/** The config file's `plugins` section: each plugin's worker picks its own part by name. */
export type PluginSettings = Record<string, unknown>;

/** Starts a worker and loads a plugin file in it; rejects with a LoadError that says why not. */
export type Launch = (file: string, settings: PluginSettings) => Promise<PluginWorker>;

/** One loaded version of a plugin: what it is made of and what it asked for. Never changes. */
export interface PluginVersion {
  readonly name: string;
  readonly file: string;
  /** A hash of the plugin's module graph (see `moduleGraph`). */
  readonly version: string;
  readonly manifest: PluginManifest;
  readonly subscription: CompiledSubscription;
  /** The settings it was loaded with: a restart of this version gets the same. */
  readonly settings: PluginSettings;
  readonly loadedAt: number;
}

export function pluginVersion(parts: Omit<PluginVersion, "subscription">): PluginVersion {
  const { queries, chats, standby } = parts.manifest;
  return { ...parts, subscription: compileSubscription({ queries, chats, standby }) };
}

export function subscribes(version: PluginVersion, parsed: ParsedEvent): boolean {
  return version.subscription.matches(parsed.event as MatchableEvent, parsed.kind === "known");
}

/** Whether this version has the route a request to `/plugins/<name>/…` asks for. */
export function servesRoute(version: PluginVersion, request: Request): boolean {
  const path = new URL(request.url).pathname.slice(`/plugins/${version.name}`.length) || "/";
  return version.manifest.routes.some(
    (route) => route.path === path && route.method === request.method,
  );
}
