/**
 * Schedules as the Store keeps them: jobs plugins scheduled (`ctx.schedule`) or declared
 * (`jobs: { x: { cron } }`), each run claimed by one process and settled once. The Store only
 * stores: when a schedule runs next is the scheduler's to compute (`src/schedules/`).
 */

export type ScheduleStatus = "scheduled" | "running" | "done" | "dead" | "cancelled";

/** What defines a schedule: the plugin's `ctx.schedule`, or its declaration at load. */
export interface ScheduleSpec {
  /** `<plugin>:<the plugin's own id>`: unique across plugins. */
  id: string;
  plugin: string;
  job: string;
  /** The job's data as JSON; null for none. */
  payload: string | null;
  /** Recurring: a cron expression (in `timeZone`, UTC when null), or an interval. */
  cron: string | null;
  timeZone: string | null;
  everyMs: number | null;
  /** The first run's scheduled time. */
  nextRunAt: number;
  declared: boolean;
}

/** A schedule as stored. */
export interface ScheduleRecord extends ScheduleSpec {
  /** When the current run is attempted next: its scheduled time, or a retry's. */
  nextRunAt: number;
  /** The current run's scheduled time (what its pushes' retry keys derive from). */
  runAt: number;
  status: ScheduleStatus;
  /** Failed attempts of the current run. */
  attempts: number;
  lastError: string | null;
  /** Bumped by every replace and cancel: a run of an older revision settles nothing. */
  revision: number;
  createdAt: number;
  updatedAt: number;
}

/**
 * A change to schedules. `put` creates the schedule or replaces it whole (a new revision, due at
 * its new time, attempts reset); `cancel` stops one that is scheduled, running or dead.
 */
export type ScheduleWrite = { put: ScheduleSpec } | { cancel: string };

export interface ScheduleClaimRequest {
  /** What can run here: per loaded plugin, the jobs its version declares. */
  jobs: ReadonlyMap<string, ReadonlySet<string>>;
  limit: number;
  now: number;
}

export interface ScheduleClaim {
  /** Due runs, now `running` for this process. */
  runs: ScheduleRecord[];
  /** When the next run of those jobs is due, if any. */
  nextDueAt: number | undefined;
}

/** How a claimed run ended. */
export type RunSettlement =
  /** A one-shot job ran: the schedule is done. */
  | { status: "done" }
  /** A recurring job ran: its next run, with attempts reset. */
  | { status: "next"; nextRunAt: number }
  | { status: "retry"; error: string; nextAttemptAt: number }
  | { status: "dead"; error: string }
  /** Not run (plugin paused, restarting): no attempt counted, due again at `until` or undefer. */
  | { status: "deferred"; until: number }
  /** Not run (its plugin or job went meanwhile): back to scheduled as it was. */
  | { status: "released" };

export interface SettledRun {
  id: string;
  /** The revision claimed: a schedule replaced or cancelled meanwhile keeps the new one. */
  revision: number;
  settlement: RunSettlement;
  /** Schedules the job wrote: saved with a settlement that ran it ("done", "next"), in order. */
  schedules?: ScheduleWrite[];
}

export interface ScheduleQuery {
  plugin?: string;
  job?: string;
  ids?: readonly string[];
  statuses?: readonly ScheduleStatus[];
  limit: number;
  /** Ordered by id: the page starts after this one. */
  after?: string;
}

/** The statuses of a schedule that may still run. */
export const LIVE_STATUSES: readonly ScheduleStatus[] = ["scheduled", "running", "dead"];

/** A declared job needs writing: new definition, or not running any more (cancelled, done). */
export function needsDeclaring(record: ScheduleRecord, spec: ScheduleSpec): boolean {
  return (
    !record.declared ||
    record.job !== spec.job ||
    record.cron !== spec.cron ||
    record.timeZone !== spec.timeZone ||
    record.everyMs !== spec.everyMs ||
    record.status === "cancelled" ||
    record.status === "done"
  );
}
