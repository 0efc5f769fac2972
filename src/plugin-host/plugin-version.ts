import { type CompiledSubscription, compileSubscription } from "../sdk/filter.ts";
import type { RoutingPlugin } from "../sdk/routing.ts";
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
  /** What routing needs of it: its priority, commands, postback routes and fallbacks. */
  readonly routing: RoutingPlugin;
  /** The settings it was loaded with: a restart of this version gets the same. */
  readonly settings: PluginSettings;
  readonly loadedAt: number;
}

export function pluginVersion(
  parts: Omit<PluginVersion, "subscription" | "routing">,
): PluginVersion {
  const { name, manifest } = parts;
  const { queries, chats, standby } = manifest;
  const subscription = compileSubscription({ queries, chats, standby });
  const routing: RoutingPlugin = {
    name,
    priority: manifest.priority,
    subscription,
    fallbacks: new Set(manifest.fallbacks),
    commands: manifest.commands.map((command) => ({
      ...command,
      description: command.description,
      usage: command.usage,
    })),
    postbacks: new Set(manifest.postbacks),
    dialogs: manifest.dialogs.length > 0,
  };
  return { ...parts, subscription, routing };
}

/** Whether this version has the route a request to `/plugins/<name>/…` asks for. */
export function servesRoute(version: PluginVersion, request: Request): boolean {
  const path = new URL(request.url).pathname.slice(`/plugins/${version.name}`.length) || "/";
  return version.manifest.routes.some(
    (route) => route.path === path && route.method === request.method,
  );
}
