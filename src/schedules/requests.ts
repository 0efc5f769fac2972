/**
 * What plugins ask of schedules, as it crosses from their worker to the host: checked here (plugin
 * code shares the worker and can post anything), then made into the Store's writes with the
 * host's clock. A plugin names schedules by its own ids; the Store's ids put the plugin in front.
 */
import { z } from "zod";
import type { ScheduleRecord, ScheduleSpec, ScheduleWrite } from "../storage/store.ts";
import { cronProblem, firstRun } from "./timing.ts";

/** A job's name, as declared in `jobs`. */
export const JOB_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
/** A schedule id a plugin chooses; `@<job>` is a declared recurring job's, never chosen. */
export const SCHEDULE_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
/** A job's data, as JSON text. */
export const MAX_DATA_CHARS = 32 << 10;
/** Schedule writes one run, or one call, may make. */
export const MAX_WRITES = 100;

export const jobName = z.string().regex(JOB_NAME, "must be a name like send-digest");
const ownId = z.string().regex(SCHEDULE_ID, "must be 1 to 128 letters, digits or _.:-");
export const cancelledId = z.union([ownId, z.string().regex(/^@/).pipe(z.string().max(65))]);

/** A recurring job as a plugin declares it: a cron expression (in a time zone), or an interval. */
export const jobDeclarationSchema = z
  .strictObject({
    name: jobName,
    cron: z.string().max(200).optional(),
    timeZone: z.string().max(64).optional(),
    every: z
      .number()
      .int()
      .min(1000, "must be at least 1000 ms")
      .max(366 * 86_400_000)
      .optional(),
  })
  .superRefine((job, ctx) => timingIssues(job, ctx, false));

export type JobDeclaration = z.infer<typeof jobDeclarationSchema>;

export const schedulePutSchema = z
  .strictObject({
    id: ownId,
    job: jobName,
    /** JSON text, or null for no data. */
    data: z.string().max(MAX_DATA_CHARS).nullable(),
    at: z.number().int().nonnegative().optional(),
    cron: z.string().max(200).optional(),
    timeZone: z.string().max(64).optional(),
  })
  .superRefine((put, ctx) => timingIssues(put, ctx, true));

/** One change a plugin asks for: a schedule made (or replaced), or one cancelled. */
export const scheduleRequestSchema = z.union([
  z.strictObject({ put: schedulePutSchema }),
  z.strictObject({ cancel: cancelledId }),
]);
export const scheduleRequestsSchema = z.array(scheduleRequestSchema).max(MAX_WRITES);

export type ScheduleRequest = z.infer<typeof scheduleRequestSchema>;

/** Exactly one way to run: `at`, `cron` (with an optional `timeZone`) or `every`. */
function timingIssues(
  timing: { at?: number; cron?: string; timeZone?: string; every?: number },
  ctx: z.RefinementCtx,
  oneShot: boolean,
): void {
  const ways = [timing.at, timing.cron, timing.every].filter((way) => way !== undefined).length;
  if (ways > 1 || (oneShot && ways === 0))
    ctx.addIssue({
      code: "custom",
      message: oneShot ? "give one of at, after or cron" : "give cron or every, not both",
    });
  if (timing.timeZone !== undefined && timing.cron === undefined)
    ctx.addIssue({ code: "custom", path: ["timeZone"], message: "only goes with cron" });
  const problem = timing.cron === undefined ? undefined : cronProblem(timing.cron, timing.timeZone);
  if (problem) ctx.addIssue({ code: "custom", path: ["cron"], message: problem });
}

/** The Store's id of a plugin's schedule. */
export function storedId(plugin: string, id: string): string {
  return `${plugin}:${id}`;
}

/** The plugin's own id of a stored schedule. */
export function ownIdOf(record: Pick<ScheduleRecord, "id" | "plugin">): string {
  return record.id.slice(record.plugin.length + 1);
}

/** The own id of a declared recurring job's schedule. */
export function declaredId(job: string): string {
  return `@${job}`;
}

/** A plugin's requests as the Store's writes, timed by the host's clock. */
export function toScheduleWrites(
  plugin: string,
  requests: readonly ScheduleRequest[],
  now: number,
): ScheduleWrite[] {
  return requests.flatMap((request): ScheduleWrite[] => {
    if ("cancel" in request) return [{ cancel: storedId(plugin, request.cancel) }];
    const { id, job, data, at, cron, timeZone } = request.put;
    const recurrence = { cron: cron ?? null, timeZone: timeZone ?? null, everyMs: null };
    const nextRunAt = at ?? firstRun(recurrence, now);
    // A cron that never matches again (February 30th) schedules nothing.
    if (nextRunAt === undefined) return [];
    const spec: ScheduleSpec = {
      id: storedId(plugin, id),
      plugin,
      job,
      payload: data,
      ...recurrence,
      nextRunAt,
      declared: false,
    };
    return [{ put: spec }];
  });
}

/** The schedules of a plugin's declared recurring jobs, as `Store.declareJobs` takes them. */
export function declaredSpecs(
  plugin: string,
  jobs: readonly JobDeclaration[],
  now: number,
): ScheduleSpec[] {
  return jobs.flatMap((job): ScheduleSpec[] => {
    const recurrence = {
      cron: job.cron ?? null,
      timeZone: job.timeZone ?? null,
      everyMs: job.every ?? null,
    };
    if (recurrence.cron === null && recurrence.everyMs === null) return [];
    const nextRunAt = firstRun(recurrence, now);
    if (nextRunAt === undefined) return [];
    const id = storedId(plugin, declaredId(job.name));
    return [{ id, plugin, job: job.name, payload: null, ...recurrence, nextRunAt, declared: true }];
  });
}
