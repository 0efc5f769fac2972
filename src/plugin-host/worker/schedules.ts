/**
 * `ctx.schedule` and `ctx.schedules` inside the worker. A call is checked here, against the same
 * schema the host checks it with, so a mistake throws where the plugin made it. Inside a run
 * (event, job) writes are kept with the run and sent with its end; elsewhere they go at once.
 */

import type { z } from "zod";
import {
  cancelledId,
  MAX_DATA_CHARS,
  MAX_WRITES,
  type ScheduleRequest,
  schedulePutSchema,
} from "../../schedules/requests.ts";
import type { BaseContext } from "../../sdk/context.ts";
import type { ScheduledJob, ScheduleOptions } from "../../sdk/schedules.ts";
import { describeIssues } from "../manifest.ts";
import type { HostRpc } from "./rpc.ts";

export interface SchedulingServices {
  name: string;
  /** The jobs the plugin declares. */
  jobs: ReadonlyMap<string, unknown>;
  rpc: HostRpc;
  now(): number;
}

type Scheduling = Pick<BaseContext<unknown>, "schedule" | "schedules">;

/** The schedule API of a context: `run` collects a run's writes; without it they go at once. */
export function schedulingFor(services: SchedulingServices, run?: ScheduleRequest[]): Scheduling {
  const { name, rpc } = services;
  const write = async (request: ScheduleRequest) => {
    if (!run) return void (await rpc.call({ method: "schedules.write", writes: [request] }));
    if (run.length >= MAX_WRITES)
      throw new Error(`${name}: at most ${MAX_WRITES} schedule changes per run`);
    run.push(request);
  };
  return {
    async schedule(job: string, options: ScheduleOptions) {
      const put = checked(name, schedulePutSchema, putOf(services, job, options));
      await write({ put });
      return put.id;
    },
    schedules: {
      cancel: (id: string) => write({ cancel: checked(name, cancelledId, id) }),
      list: async (options: { job?: string } = {}) =>
        (await rpc.call({
          method: "schedules.list",
          ...(options.job === undefined ? {} : { job: options.job }),
        })) as ScheduledJob[],
    },
  };
}

function putOf(services: SchedulingServices, job: string, options: ScheduleOptions) {
  const { name } = services;
  if (!services.jobs.has(job))
    throw new Error(`${name}: no job "${job}" (declare it in the plugin's \`jobs\`)`);
  return {
    id: options.id ?? crypto.randomUUID(),
    job,
    data: dataOf(name, options.data),
    ...timingOf(name, options, services.now()),
  };
}

function timingOf(name: string, options: ScheduleOptions, now: number) {
  if ("after" in options && options.after !== undefined) {
    if (!Number.isFinite(options.after) || options.after < 0)
      throw new TypeError(`${name}: schedule "after" must be a delay in ms, 0 or more`);
    return { at: now + Math.round(options.after) };
  }
  if ("at" in options && options.at !== undefined) {
    const at = options.at instanceof Date ? options.at.getTime() : options.at;
    if (!Number.isFinite(at)) throw new TypeError(`${name}: schedule "at" is not a valid time`);
    return { at: Math.max(0, Math.round(at)) };
  }
  const { cron, timeZone } = options as { cron?: string; timeZone?: string };
  return { cron, ...(timeZone === undefined ? {} : { timeZone }) };
}

function dataOf(name: string, data: unknown): string | null {
  if (data === undefined) return null;
  const json = JSON.stringify(data);
  if (json === undefined) throw new TypeError(`${name}: schedule data is not JSON-serialisable`);
  if (json.length > MAX_DATA_CHARS)
    throw new RangeError(`${name}: schedule data is over ${MAX_DATA_CHARS} characters as JSON`);
  return json;
}

function checked<T>(name: string, schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new TypeError(`${name}: schedule ${describeIssues(result.error)}`);
}
