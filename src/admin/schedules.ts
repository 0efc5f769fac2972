/**
 * `/admin/schedules`: the plugins' schedules, a page at a time; dead ones run again on request,
 * and any can be cancelled.
 */
import { Buffer } from "node:buffer";
import { Elysia } from "elysia";
import { z } from "zod";
import type { Clock } from "../core/clock.ts";
import type { ScheduleRecord, ScheduleStatus, Store } from "../storage/store.ts";
import { BadRequest, type Guard, json, parse, readJson } from "./respond.ts";

const STATUSES = ["scheduled", "running", "done", "dead", "cancelled"] as const;
const pluginName = z.string().min(1).max(64);
const scheduleId = z.string().min(1).max(300);
const listQuery = z.strictObject({
  plugin: pluginName.optional(),
  job: z.string().min(1).max(64).optional(),
  /** Comma-separated statuses. */
  status: z
    .string()
    .transform((value) => value.split(","))
    .pipe(z.array(z.enum(STATUSES)))
    .optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().min(1).optional(),
});
const idsBody = z.strictObject({ ids: z.array(scheduleId).min(1).max(500) });
const retryBody = z
  .strictObject({
    ids: z.array(scheduleId).min(1).max(500).optional(),
    plugin: pluginName.optional(),
    all: z.literal(true).optional(),
  })
  .refine(
    (body) => [body.ids, body.plugin, body.all].filter((v) => v !== undefined).length === 1,
    'give exactly one of "ids", "plugin" or "all": true',
  );

/** As operators read it: the job's data as JSON, not as the text it is stored as. */
function shown(record: ScheduleRecord) {
  const { payload, everyMs, ...rest } = record;
  return { ...rest, every: everyMs, data: payload === null ? null : JSON.parse(payload) };
}

const encodeCursor = (id: string) => Buffer.from(id).toString("base64url");

function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, "base64url").toString("utf8");
  if (!scheduleId.safeParse(id).success)
    throw new BadRequest("cursor: not a cursor this API returned");
  return id;
}

/** Every dead schedule the selector names (a plugin's, or all), however many pages. */
async function deadIds(store: Store, plugin: string | undefined): Promise<string[]> {
  const ids: string[] = [];
  for (let after: string | undefined; ; ) {
    const page = await store.listSchedules({
      statuses: ["dead"] satisfies ScheduleStatus[],
      limit: 500,
      ...(plugin === undefined ? {} : { plugin }),
      ...(after === undefined ? {} : { after }),
    });
    ids.push(...page.map((record) => record.id));
    if (page.length < 500) return ids;
    after = page.at(-1)?.id;
  }
}

export function scheduleRoutes(parts: { guard: Guard; store: Store; clock: Clock }) {
  const { guard, store, clock } = parts;
  return new Elysia()
    .get(
      "/schedules",
      guard(async (request) => {
        const query = parse(
          listQuery,
          Object.fromEntries(new URL(request.url).searchParams),
          "query",
        );
        const rows = await store.listSchedules({
          limit: query.limit + 1,
          ...(query.plugin ? { plugin: query.plugin } : {}),
          ...(query.job ? { job: query.job } : {}),
          ...(query.status ? { statuses: query.status } : {}),
          ...(query.cursor ? { after: decodeCursor(query.cursor) } : {}),
        });
        const page = rows.slice(0, query.limit);
        const last = page.at(-1);
        return json(200, {
          schedules: page.map(shown),
          nextCursor: rows.length > query.limit && last ? encodeCursor(last.id) : null,
        });
      }),
    )
    .post(
      "/schedules/retry",
      guard(async (request) => {
        const body = parse(retryBody, await readJson(request), "body");
        const ids = body.ids ?? (await deadIds(store, body.plugin));
        const retried = await store.retrySchedules(ids, clock.now());
        return json(200, { retried: retried.length, ids: retried });
      }),
      { parse: "none" },
    )
    .post(
      "/schedules/cancel",
      guard(async (request) => {
        const { ids } = parse(idsBody, await readJson(request), "body");
        const cancelled = await store.writeSchedules(
          ids.map((id) => ({ cancel: id })),
          clock.now(),
        );
        return json(200, { cancelled: cancelled.length, ids: cancelled });
      }),
      { parse: "none" },
    );
}
