/**
 * The admin API, under /admin, behind `Authorization: Bearer <ADMIN_TOKEN>`: plugin states and
 * pausing, dead letters (list, retry, discard), schedules (list, retry, cancel), inbox statistics,
 * the LINE channels served, stored events with what each plugin sent, message quota (per channel,
 * and resuming pushes paused at LINE's monthly limit). JSON in and out.
 */
import { Buffer } from "node:buffer";
import { Elysia } from "elysia";
import { z } from "zod";
import type { Clock } from "../core/clock.ts";
import type { Dispatcher } from "../dispatch/dispatcher.ts";
import type { PluginHost, PluginStatus } from "../plugin-host/host.ts";
import type { ShadowLog } from "../shadow/shadow-log.ts";
import type { DeadCursor, DeadSelector, Store } from "../storage/store.ts";
import { historyRoutes } from "./history.ts";
import { type CostControl, quotaRoutes } from "./quota.ts";
import { BadRequest, guardWith, json, parse, readJson } from "./respond.ts";
import { scheduleRoutes } from "./schedules.ts";

export interface AdminOptions {
  token: string;
  plugins: Pick<PluginHost, "statuses" | "setPaused">;
  store: Store;
  dispatcher: Pick<Dispatcher, "retryDead" | "queued">;
  clock: Clock;
  /** `/admin/quota` (cost control); without it the route is not there. */
  cost?: CostControl;
  /** The LINE channels served now: never their secrets or tokens. */
  channels?(): ChannelView[];
  /** Shadow runs' answers, shown beside the live ones. */
  shadow?: ShadowLog | undefined;
}

/** A channel as the admin API shows it. */
export interface ChannelView {
  name: string;
  /** Where LINE posts its events, under the server. */
  webhookPath: string;
  /** The plugins its events go to; null: every plugin. */
  plugins: readonly string[] | null;
  /** How its access token is had: given (long-lived), or issued by hotline. */
  token: string;
}

/** The channel an event id belongs to: other channels' ids are stored behind their name. */
const channelOf = (eventId: string) => eventId.match(/^([a-z0-9][a-z0-9_-]*)\//)?.[1] ?? "default";

const pluginName = z.string().min(1).max(64);
const deliveryKey = z.strictObject({ eventId: z.string().min(1).max(256), plugin: pluginName });
const selectorFields = {
  deliveries: z.array(deliveryKey).min(1).max(500).optional(),
  plugin: pluginName.optional(),
  all: z.literal(true).optional(),
};
const ONE_SELECTOR =
  'give exactly one of "deliveries" ([{ eventId, plugin }]), "plugin" or "all": true';
const exactlyOne = (body: { deliveries?: unknown; plugin?: unknown; all?: unknown }) =>
  [body.deliveries, body.plugin, body.all].filter((v) => v !== undefined).length === 1;
const retryBody = z.strictObject(selectorFields).refine(exactlyOne, ONE_SELECTOR);
const discardBody = z
  .strictObject({ ...selectorFields, reason: z.string().trim().min(1).max(500) })
  .refine(exactlyOne, ONE_SELECTOR);
const deadQuery = z.strictObject({
  plugin: pluginName.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().min(1).optional(),
});
const cursorSchema = z.tuple([z.number().int(), z.string(), z.string()]);

function toSelector(body: z.output<typeof retryBody>): DeadSelector {
  if (body.deliveries) return { deliveries: body.deliveries };
  if (body.plugin !== undefined) return { plugin: body.plugin };
  return { all: true };
}

function encodeCursor(cursor: DeadCursor): string {
  return Buffer.from(JSON.stringify([cursor.deadAt, cursor.eventId, cursor.plugin])).toString(
    "base64url",
  );
}

function decodeCursor(value: string): DeadCursor {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(value, "base64url").toString("utf8"));
  } catch {
    throw new BadRequest("cursor: not a cursor this API returned");
  }
  const [deadAt, eventId, plugin] = parse(cursorSchema, decoded, "cursor");
  return { deadAt, eventId, plugin };
}

export function adminRoutes(options: AdminOptions) {
  const { plugins, store, dispatcher, clock } = options;
  const guard = guardWith(options.token);

  const describePlugins = async () => {
    const unsettled = await store.unsettledByPlugin();
    // Absent values are null, so every plugin shows the same fields (a last error of null).
    return plugins.statuses().map((status: PluginStatus) => ({
      ...status,
      name: status.name ?? null,
      version: status.version ?? null,
      chats: status.chats ?? null,
      error: status.error ?? null,
      loadedAt: status.loadedAt ?? null,
      deliveries: (status.name && unsettled.get(status.name)) || { open: 0, dead: 0 },
    }));
  };
  const findPlugin = async (name: string) => (await describePlugins()).find((p) => p.name === name);
  const noSuchPlugin = (name: string) =>
    json(404, { error: `no plugin named "${name}" is loaded` });

  const setPaused = (paused: boolean) =>
    guard(async (_request, params) => {
      const name = params.name ?? "";
      if (!plugins.setPaused(name, paused)) return noSuchPlugin(name);
      return json(200, { plugin: await findPlugin(name) });
    });

  return new Elysia({ prefix: "/admin" })
    .get(
      "/plugins",
      guard(async () => json(200, { plugins: await describePlugins() })),
    )
    .get(
      "/plugins/:name",
      guard(async (_request, params) => {
        const plugin = await findPlugin(params.name ?? "");
        return plugin ? json(200, { plugin }) : noSuchPlugin(params.name ?? "");
      }),
    )
    .post("/plugins/:name/pause", setPaused(true), { parse: "none" })
    .post("/plugins/:name/resume", setPaused(false), { parse: "none" })
    .get(
      "/deliveries/dead",
      guard(async (request) => {
        const query = parse(
          deadQuery,
          Object.fromEntries(new URL(request.url).searchParams),
          "query",
        );
        const rows = await store.listDead({
          limit: query.limit + 1,
          ...(query.plugin ? { plugin: query.plugin } : {}),
          ...(query.cursor ? { after: decodeCursor(query.cursor) } : {}),
        });
        const page = rows.slice(0, query.limit);
        const last = page.at(-1);
        return json(200, {
          deliveries: page.map((row) => ({ ...row, channel: channelOf(row.eventId) })),
          nextCursor: rows.length > query.limit && last ? encodeCursor(last) : null,
        });
      }),
    )
    .post(
      "/deliveries/dead/retry",
      guard(async (request) => {
        const body = parse(retryBody, await readJson(request), "body");
        const retried = await dispatcher.retryDead(toSelector(body));
        return json(200, { retried: retried.length, deliveries: retried });
      }),
      { parse: "none" },
    )
    .post(
      "/deliveries/dead/discard",
      guard(async (request) => {
        const body = parse(discardBody, await readJson(request), "body");
        const discarded = await store.discardDead(toSelector(body), body.reason, clock.now());
        return json(200, { discarded: discarded.length, deliveries: discarded });
      }),
      { parse: "none" },
    )
    .get(
      "/inbox",
      guard(async () => {
        const depth = await store.depth();
        return json(200, {
          events: await store.eventCounts(),
          open: depth.open,
          oldestOpenAgeSeconds:
            depth.oldestReceivedAt === undefined
              ? null
              : Math.max(0, (clock.now() - depth.oldestReceivedAt) / 1000),
          deliveries: await store.deliveryCounts(),
          dispatcherQueued: await dispatcher.queued(),
        });
      }),
    )
    .get(
      "/channels",
      guard(async () => json(200, { channels: options.channels?.() ?? [] })),
    )
    .use(scheduleRoutes({ guard, store, clock }))
    .use(
      options.cost
        ? quotaRoutes({ guard, cost: options.cost, now: () => clock.now() })
        : new Elysia(),
    )
    .use(historyRoutes({ guard, store, shadow: options.shadow }))
    .all(
      "/*",
      guard((request) =>
        json(404, { error: `no admin route ${request.method} ${new URL(request.url).pathname}` }),
      ),
      { parse: "none" },
    );
}

/** Without ADMIN_TOKEN the routes exist only to say so. */
export function adminDisabledRoutes() {
  const disabled = () =>
    json(404, { error: "the admin API is disabled: set ADMIN_TOKEN to enable it" });
  return new Elysia().all("/admin", disabled, { parse: "none" }).all("/admin/*", disabled, {
    parse: "none",
  });
}
