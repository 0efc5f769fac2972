/** The types of jobs and schedules, as plugins declare and use them. */

/** When a schedule runs: once (at a time, or after a delay), or on a cron expression. */
export type ScheduleTiming =
  /** A time (a Date, or ms since the epoch); a time already past runs at once. */
  | { at: Date | number; after?: never; cron?: never; timeZone?: never }
  /** This many ms from now (the host's clock: tests move it). */
  | { after: number; at?: never; cron?: never; timeZone?: never }
  /**
   * Recurring: a cron expression of 5 fields (minute hour day month weekday), or 6 with seconds
   * first, in `timeZone` (an IANA name like "Asia/Tokyo"; default UTC). Runs follow the zone's
   * clock across daylight saving changes: a time the change skips runs at the first time after it,
   * a time it repeats runs once.
   */
  | { cron: string; timeZone?: string; at?: never; after?: never };

export type ScheduleOptions = ScheduleTiming & {
  /**
   * The schedule's id, unique within the plugin (letters, digits, `_.:-`; at most 128): the same id
   * again replaces the schedule. Default: a fresh one. Choose one (`remind:<user>`) to make
   * scheduling idempotent, or to cancel it later without keeping the id it returned.
   */
  id?: string;
  /** What the job's handler gets: JSON data (at most 32 KiB as JSON). */
  data?: unknown;
};

export type ScheduleStatus = "scheduled" | "running" | "dead";

/** A schedule as `ctx.schedules.list()` shows it. */
export interface ScheduledJob {
  /** The plugin's id for it; `@<job>` for a declared recurring job. */
  id: string;
  job: string;
  data: unknown;
  status: ScheduleStatus;
  /** When it runs next (ms since the epoch): its time, or a retry's. */
  nextRunAt: number;
  cron: string | null;
  timeZone: string | null;
  /** A declared job's interval (`every`), in ms. */
  every: number | null;
  /** Failed attempts of the current run. */
  attempts: number;
  lastError: string | null;
}

/**
 * A plugin's schedules. Inside an event handler or a job, what it schedules or cancels is saved
 * when the run succeeds, with its settlement, so a retried run never schedules twice; elsewhere
 * (setup, routes) at once.
 */
export interface Schedules {
  /** Stops the schedule; a run of it in progress keeps nothing it wrote. Unknown ids are ignored. */
  cancel(id: string): Promise<void>;
  /** The plugin's schedules that may still run, by id; saved ones only (not this run's). */
  list(options?: { job?: string }): Promise<ScheduledJob[]>;
}

/**
 * A job: a handler the host runs on a schedule, in the plugin's worker. With `cron` or `every` it
 * recurs on its own from the moment the plugin loads; any job can also be scheduled with
 * `ctx.schedule(name, …)`. A run that throws is retried with backoff (`MAX_ATTEMPTS` in all), then
 * dead-lettered: an operator can retry it (`POST /admin/schedules/retry`).
 */
export interface JobSpec<Ctx> {
  /** Recurring: a cron expression (see `ScheduleTiming`), in `timeZone` (default UTC). */
  cron?: string;
  timeZone?: string;
  /** Recurring: every this many ms (at least 1000), counted from the load that first declared it. */
  every?: number;
  /**
   * Runs the job; `data` is what `ctx.schedule` passed (JSON data; undefined for none). Pushes
   * carry retry keys made from the schedule and the run, so a run retried after a crash never
   * sends the same push twice.
   */
  handler(data: unknown, ctx: Ctx): unknown;
}
