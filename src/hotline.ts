import { resolve } from "node:path";
import { sql } from "drizzle-orm";
import type { AnyElysia } from "elysia";
import { adminDisabledRoutes, adminRoutes } from "./admin/admin.ts";
import { ConfigError, type Env } from "./config/env.ts";
import { type CircuitBreakerPolicy, resolveConfig } from "./config/options.ts";
import { type Clock, systemClock } from "./core/clock.ts";
import { type LocalMode, startLocalMode, writeLocalModeFile } from "./dev/local-mode.ts";
import { Simulator } from "./dev/simulator/simulator.ts";
import { type BackoffPolicy, DEFAULT_BACKOFF } from "./dispatch/backoff.ts";
import { Dispatcher } from "./dispatch/dispatcher.ts";
import { ReplySender } from "./dispatch/reply-sender.ts";
import { LineClient } from "./line/client.ts";
import type { RetryPolicy } from "./line/retry.ts";
import { createLogger, type Logger } from "./logging/logger.ts";
import { HotlineMetrics } from "./metrics/metrics.ts";
import type { RunningServer, SqliteHandle } from "./platform/mod.ts";
import { platform } from "./platform/mod.ts";
import { PluginHost } from "./plugin-host/host.ts";
import { linkSdkInto } from "./plugin-host/sdk-link.ts";
import { createApp } from "./server/app.ts";
import { databasePath, openDatabase } from "./storage/database.ts";
import { DeliveryStore } from "./storage/deliveries.ts";
import { Inbox } from "./storage/inbox.ts";
import { deleteExpiredKv } from "./storage/maintenance.ts";
import { SharedState } from "./storage/shared-state.ts";
import { inboxDepth } from "./storage/stats.ts";
import { WriteQueue } from "./storage/write-queue.ts";
import { createWebhookHandler } from "./webhook/handler.ts";

export interface HotlineOptions {
  env: Env;
  clock?: Clock;
  log?: Logger;
  /** LINE API call retries (429/5xx). */
  lineRetry?: RetryPolicy;
  /** Delivery retries after a plugin fails. */
  backoff?: BackoffPolicy;
  breaker?: CircuitBreakerPolicy;
  /** Watch the plugins directory and the config file (default true). */
  watch?: boolean;
  hangGraceMs?: number;
  drainMs?: number;
  debounceMs?: number;
  /** Events the dispatcher keeps parsed in memory ahead of their deliveries (default 2,000). */
  eventsInMemory?: number;
}

export interface Hotline {
  readonly url: string;
  readonly webhookUrl: string;
  readonly channelSecret: string;
  /** Set when running without LINE credentials, against the built-in stand-in. */
  readonly local: LocalMode | undefined;
  readonly database: SqliteHandle;
  readonly inbox: Inbox;
  readonly dispatcher: Dispatcher;
  readonly plugins: PluginHost;
  readonly metrics: HotlineMetrics;
  /** The local chat simulator's page, in local mode. */
  readonly simulatorUrl: string | undefined;
  readonly log: Logger;
  stop(): Promise<void>;
}

function credentials(
  env: Env,
  log: Logger,
): { secret: string; token: string; local: LocalMode | undefined } {
  const { LINE_CHANNEL_SECRET: secret, LINE_CHANNEL_ACCESS_TOKEN: token } = env;
  if (secret && token) return { secret, token, local: undefined };
  if (secret || token) {
    const missing = secret ? "LINE_CHANNEL_ACCESS_TOKEN" : "LINE_CHANNEL_SECRET";
    throw new ConfigError(
      `invalid environment variable ${missing}: set both LINE credentials, or neither for local mode`,
    );
  }
  const local = startLocalMode(log);
  log.warn(
    { lineStandIn: local.server.url },
    "LOCAL MODE: no LINE credentials set; using a generated channel secret and a built-in LINE stand-in",
  );
  return { secret: local.channelSecret, token: local.channelAccessToken, local };
}

/** Composes and starts the whole bot: storage, plugin host, dispatcher, LINE client, HTTP server. */
export async function startHotline(options: HotlineOptions): Promise<Hotline> {
  const { env } = options;
  const clock = options.clock ?? systemClock;
  const log = options.log ?? createLogger(env.LOG_LEVEL);
  const { secret, token, local } = credentials(env, log);
  // What has been started so far, stopped again in reverse if the start fails half-way.
  const undo: Array<() => unknown> = [];
  if (local) undo.push(() => local.server.stop());
  try {
    const apiBaseUrl = local ? local.server.url : env.LINE_API_BASE_URL;
    const dataApiBaseUrl = local ? local.server.url : env.LINE_DATA_API_BASE_URL;
    const dataDir = resolve(env.DATA_DIR);
    // Local mode serves a simulator that signs webhooks with the generated secret: loopback only,
    // unless HOST says otherwise.
    const host = env.HOST ?? (local ? "127.0.0.1" : "0.0.0.0");

    const database = openDatabase(dataDir);
    undo.push(() => database.close());
    // One write queue for the database: the webhook's inserts, routing and the dispatcher's
    // records share its commits, made durable by fsyncing the WAL off the event loop.
    const writes = new WriteQueue(database.db, { walFile: `${databasePath(dataDir)}-wal` });
    undo.push(() => writes.close());
    const inbox = new Inbox(database.db, clock, writes);
    const store = new DeliveryStore(database.db, writes);
    const sharedState = new SharedState(database.db);
    // The gauges' sources are read at scrape time, by when everything below exists.
    const metrics = new HotlineMetrics({
      now: () => clock.now(),
      inboxDepth: () => inboxDepth(database.db),
      queued: () => dispatcher?.queued ?? 0,
      plugins: () => plugins.statuses(),
    });
    const line = new LineClient({
      channelAccessToken: token,
      apiBaseUrl,
      log,
      ...(options.lineRetry ? { retry: options.lineRetry } : {}),
      onCall: (endpoint, status) => metrics.lineApiCall("host", endpoint, status),
    });
    const replies = new ReplySender(line, store, clock, log);

    let dispatcher: Dispatcher | undefined;
    const plugins = new PluginHost({
      config: resolveConfig(env, {
        lineRetry: options.lineRetry,
        breaker: options.breaker,
        watch: options.watch,
        hangGraceMs: options.hangGraceMs,
        drainMs: options.drainMs,
        debounceMs: options.debounceMs,
      }),
      clock,
      log,
      worker: { dataDir, apiBaseUrl, dataApiBaseUrl, channelAccessToken: token },
      pushOutsideEvent: async (plugin, to, messages) => {
        // No event to tie it to: a fresh key still guards the client's own retries.
        const error = await replies.pushAll(
          { eventId: crypto.randomUUID(), chat: undefined },
          plugin,
          "direct",
          messages,
          to,
        );
        if (error) throw new Error(error);
      },
      onRemoved: (plugin, reason) => dispatcher?.dropPlugin(plugin, reason),
      onAvailable: () => dispatcher?.wake(),
      onApiCall: (plugin, endpoint, status) => metrics.lineApiCall(plugin, endpoint, status),
    });
    plugins.subscribe((event) => metrics.hostEvent(event));
    dispatcher = new Dispatcher({
      inbox,
      store,
      sharedState,
      writes,
      plugins,
      replies,
      clock,
      log,
      concurrency: env.DISPATCH_CONCURRENCY,
      replyDeadlineMs: env.REPLY_DEADLINE_MS,
      ...(options.eventsInMemory === undefined ? {} : { eventsInMemory: options.eventsInMemory }),
      backoff: {
        ...(options.backoff ?? DEFAULT_BACKOFF),
        maxAttempts: options.backoff?.maxAttempts ?? env.MAX_ATTEMPTS,
      },
      onDelivery: (plugin, outcome, durationMs) => metrics.delivery(plugin, outcome, durationMs),
      onEvent: (parsed) => metrics.event(parsed),
    });
    const started = dispatcher;

    const webhook = createWebhookHandler({
      channelSecret: secret,
      maxBodyBytes: env.WEBHOOK_MAX_BODY_BYTES,
      clock,
      log,
      store: (rows) => started.ingest(rows),
      onResponse: (status) => metrics.webhookResponse(status),
    });

    const extensions: AnyElysia[] = [metrics.routes()];
    if (env.ADMIN_TOKEN) {
      extensions.push(
        adminRoutes({
          token: env.ADMIN_TOKEN,
          plugins,
          store,
          dispatcher: started,
          db: database.db,
          clock,
        }),
      );
    } else {
      extensions.push(adminDisabledRoutes());
      log.info("admin API disabled: set ADMIN_TOKEN to enable /admin");
    }
    // Local mode only: the simulator signs webhooks with the generated secret and reads the stand-in.
    const simulator = local
      ? new Simulator({
          standIn: local.standIn,
          channelSecret: secret,
          webhookUrl: () => webhookUrl,
          botUrl: () => server.url,
          plugins,
          db: database.db,
          log,
        })
      : undefined;
    if (simulator) extensions.push(simulator.routes());

    const app = createApp({
      webhookPath: env.WEBHOOK_PATH,
      webhook,
      health: () => Response.json({ status: "ok" }),
      ready: () => {
        try {
          database.db.get(sql`select 1`);
        } catch (error) {
          return Response.json(
            { status: "unavailable", reason: `database unavailable: ${(error as Error).message}` },
            { status: 503 },
          );
        }
        return plugins.ready
          ? Response.json({ status: "ready" })
          : Response.json({ status: "starting", reason: "plugins are loading" }, { status: 503 });
      },
      plugin: (name, request) => plugins.http(name, request),
      extensions,
    });

    // The server takes webhooks at once; they wait in the inbox until the plugins are loaded.
    let server: RunningServer;
    try {
      server = platform.serve({
        hostname: host,
        port: env.PORT,
        // The webhook caps its own body at WEBHOOK_MAX_BODY_BYTES in any case; local mode lets the
        // simulator's uploads (photos, files) through.
        maxRequestBodySize: local
          ? Math.max(env.WEBHOOK_MAX_BODY_BYTES, Simulator.MAX_UPLOAD_BYTES)
          : env.WEBHOOK_MAX_BODY_BYTES,
        fetch: (request) => app.fetch(request),
      });
    } catch (error) {
      throw new ConfigError(`cannot listen on ${host}:${env.PORT}: ${(error as Error).message}`);
    }
    undo.push(() => server.stop());
    const webhookUrl = `${server.url}${env.WEBHOOK_PATH}`;
    const simulatorUrl = simulator ? `${server.url}${Simulator.PATH}` : undefined;
    if (local) {
      writeLocalModeFile(dataDir, {
        channelSecret: secret,
        webhookUrl,
        botUserId: local.standIn.botUserId,
      });
    }

    const sdkLink = linkSdkInto(env.PLUGINS_DIR);
    if (sdkLink)
      log.info(
        { link: sdkLink },
        'linked the plugin SDK into the plugins directory, so `import … from "hotline"` resolves there',
      );
    undo.push(() => plugins.stop());
    // The server listens before any plugin loads: its URL is the default public one.
    await plugins.start(env.PUBLIC_URL ?? server.url);
    started.start();
    const prune = setInterval(() => {
      // A busy or failing database must not take the process down: try again next hour.
      try {
        const removed = inbox.prune(env.INBOX_RETENTION_HOURS * 3_600_000);
        const expired = deleteExpiredKv(database.db, clock.now());
        if (removed + expired > 0)
          log.info({ removed, expired }, "pruned settled events and expired plugin state");
      } catch (error) {
        log.error({ err: error }, "pruning failed; will try again in an hour");
      }
    }, 3_600_000);

    log.info(
      { url: server.url, webhook: webhookUrl, dataDir, pluginsDir: resolve(env.PLUGINS_DIR) },
      "hotline is running",
    );
    if (local) {
      log.info(
        { simulator: simulatorUrl },
        `chat with the bot: open ${simulatorUrl} (a LINE chat simulator; local mode only)`,
      );
      log.info(`or from a terminal: bun run send "hello"   (signs and posts a text event)`);
    }

    return {
      url: server.url,
      webhookUrl,
      channelSecret: secret,
      local,
      database,
      inbox,
      dispatcher: started,
      plugins,
      metrics,
      simulatorUrl,
      log,
      async stop() {
        clearInterval(prune);
        simulator?.stop();
        await server.stop();
        await started.stop();
        await plugins.stop();
        await writes.close();
        database.close();
        await local?.server.stop();
      },
    };
  } catch (error) {
    for (const step of undo.reverse()) await Promise.resolve(step()).catch(() => undefined);
    throw error;
  }
}
