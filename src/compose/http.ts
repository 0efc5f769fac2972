import type { AnyElysia } from "elysia";
import { adminDisabledRoutes, adminRoutes, type ChannelView } from "../admin/admin.ts";
import { bearerCheck } from "../admin/auth.ts";
import { ConfigError } from "../config/env.ts";
import type { Config } from "../config/options.ts";
import { DEFAULT_CHANNEL } from "../core/channel.ts";
import type { Clock } from "../core/clock.ts";
import type { ChannelSet } from "../line/channel-set.ts";
import type { Logger } from "../logging/logger.ts";
import { platform, type RunningServer } from "../platform/mod.ts";
import type { PluginHost } from "../plugin-host/host.ts";
import { createApp } from "../server/app.ts";
import type { ShadowLog } from "../shadow/shadow-log.ts";
import type { Store } from "../storage/store.ts";
import { createWebhookEndpoint } from "../webhook/handler.ts";
import type { Runtime } from "./runtime.ts";

/** What development tools (local mode's simulator) may see of the bot. */
export interface BotView {
  /** The bot's own HTTP surface, in process: a request goes the same way a network one would. */
  fetch(request: Request): Promise<Response>;
  /** Their status, and their routing (priority, commands) as `help` reads it. */
  plugins: Pick<PluginHost, "statuses" | "routing">;
  store: Store;
  log: Logger;
  /** The LINE channels served now, "default" first. */
  channels(): string[];
  /** Shadow runs' answers (next versions), to show beside the live ones. */
  shadow?: Pick<ShadowLog, "answersTo"> | undefined;
}

/** Routes mounted by a development tool, and how to stop it. */
export interface DevTools {
  routes: AnyElysia;
  /** Bodies the tool's routes take (uploads); the webhook keeps its own cap. */
  maxBodyBytes: number;
  /** The server listens at `url`, before the plugins load. */
  listening?(url: string): void;
  stop(): unknown;
}

export type DevToolsFactory = (bot: BotView) => DevTools;

/** The HTTP surface: webhook, health, readiness, metrics, admin, plugin routes, dev tools. */
export function createHttp(parts: {
  config: Config;
  runtime: Runtime;
  store: Store;
  clock: Clock;
  log: Logger;
  devTools: DevToolsFactory | undefined;
}) {
  const { config, runtime, store, clock, log } = parts;
  const { env } = config;
  const { metrics, plugins, dispatcher } = runtime;
  const shadow = runtime.shadow?.log;
  const webhook = createWebhookEndpoint({
    secretOf: (channel) => runtime.channels.get(channel)?.channelSecret,
    maxBodyBytes: env.WEBHOOK_MAX_BODY_BYTES,
    maxEvents: env.WEBHOOK_MAX_EVENTS,
    clock,
    log,
    ingest: (events) => dispatcher.ingest(events),
    onResponse: (status) => metrics.webhookResponse(status),
  });
  if (!env.ADMIN_TOKEN) log.info("admin API disabled: set ADMIN_TOKEN to enable /admin");
  const admin = env.ADMIN_TOKEN
    ? adminRoutes({
        ...{ token: env.ADMIN_TOKEN, plugins, store, dispatcher, clock, shadow },
        channels: () => channelViews(runtime.channels, env.WEBHOOK_PATH),
        cost: runtime.cost,
      })
    : adminDisabledRoutes();
  const metricsRoutes = env.METRICS_TOKEN
    ? metrics.routes(bearerCheck(env.METRICS_TOKEN))
    : metrics.routes();
  const app = createApp({
    webhookPath: env.WEBHOOK_PATH,
    webhook,
    health: () => Response.json({ status: "ok" }),
    ready: () => readiness(store, plugins),
    plugin: (name, request) => plugins.http(name, request),
    extensions: [metricsRoutes, admin],
  });
  const fetch = (request: Request) => app.handle(request);
  const dev = parts.devTools?.({
    ...{ fetch, plugins, store, log, shadow },
    channels: () => runtime.channels.names(),
  });
  if (dev) app.use(dev.routes);
  // A body over the server's cap on the webhook's path is the webhook's answer to give: counted.
  const tooLarge = (request: Request) =>
    onWebhookPath(request, env.WEBHOOK_PATH) ? webhook.refuse(request, 413) : undefined;
  return { app, dev, tooLarge };
}

function channelViews(channels: ChannelSet, webhookPath: string): ChannelView[] {
  const base = webhookPath === "/" ? "" : webhookPath;
  return channels.names().flatMap((name) => {
    const channel = channels.get(name);
    if (!channel) return [];
    const path = name === DEFAULT_CHANNEL ? webhookPath : `${base}/${name}`;
    const plugins = channel.plugins ?? null;
    return [{ name, webhookPath: path, plugins, token: channel.tokenKind }];
  });
}

function onWebhookPath(request: Request, webhookPath: string): boolean {
  const { pathname } = new URL(request.url);
  if (webhookPath === "/") return pathname === "/";
  return pathname === webhookPath || pathname.startsWith(`${webhookPath}/`);
}

/** Ready: the database answers and the plugins are loaded. */
async function readiness(store: Store, plugins: Pick<PluginHost, "ready">): Promise<Response> {
  try {
    await store.check();
  } catch (error) {
    const reason = `database unavailable: ${(error as Error).message}`;
    return Response.json({ status: "unavailable", reason }, { status: 503 });
  }
  return plugins.ready
    ? Response.json({ status: "ready" })
    : Response.json({ status: "starting", reason: "plugins are loading" }, { status: 503 });
}

/** Listens on HOST:PORT; local mode stays on loopback unless HOST says otherwise. */
export function listen(parts: {
  config: Config;
  app: { fetch(request: Request): Response | Promise<Response> };
  dev: DevTools | undefined;
  tooLarge?(request: Request): Response | undefined;
}): RunningServer {
  const { env } = parts.config;
  const hostname = env.HOST ?? (parts.dev ? "127.0.0.1" : "0.0.0.0");
  try {
    return platform.serve({
      hostname,
      port: env.PORT,
      // The webhook caps its own body at WEBHOOK_MAX_BODY_BYTES in any case; dev tools may take
      // larger uploads.
      maxRequestBodySize: Math.max(env.WEBHOOK_MAX_BODY_BYTES, parts.dev?.maxBodyBytes ?? 0),
      fetch: (request) => parts.app.fetch(request),
      tooLarge: parts.tooLarge,
    });
  } catch (error) {
    throw new ConfigError(`cannot listen on ${hostname}:${env.PORT}: ${(error as Error).message}`);
  }
}
