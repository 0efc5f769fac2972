/**
 * When a schedule runs: cron expressions (croner) in an IANA time zone, and fixed intervals.
 * Web-standard only: plugin workers check a cron expression with it when `ctx.schedule` is called,
 * and the scheduler computes next runs with it.
 */
import { Cron } from "croner";

/** Minutes, hours, days of month, months, days of week; or seconds first (six fields). */
const CRON_FIELDS = /^\S+(?:\s+\S+){4,5}$/;

/** Why a time zone is not one the runtime knows, or undefined. */
export function timeZoneProblem(timeZone: string): string | undefined {
  try {
    new Intl.DateTimeFormat("en", { timeZone });
    return undefined;
  } catch {
    return `"${timeZone}" is not an IANA time zone (like "Asia/Tokyo")`;
  }
}

function cronOf(cron: string, timeZone: string | null | undefined): Cron {
  return new Cron(cron, { paused: true, ...(timeZone ? { timezone: timeZone } : {}) });
}

/** Why a cron expression (in `timeZone`) cannot be scheduled, or undefined. */
export function cronProblem(cron: string, timeZone?: string | null): string | undefined {
  const trimmed = cron.trim();
  // croner also takes an ISO date as a pattern; a one-shot is `at`, so only fields count here.
  if (!CRON_FIELDS.test(trimmed))
    return `"${cron}" is not a cron expression of 5 fields (minute hour day month weekday) or 6 (seconds first)`;
  if (timeZone) {
    const problem = timeZoneProblem(timeZone);
    if (problem) return problem;
  }
  try {
    cronOf(trimmed, timeZone);
    return undefined;
  } catch (error) {
    return `"${cron}": ${(error as Error).message}`;
  }
}

/** The first time the expression matches strictly after `after` (UTC ms), if it ever does. */
export function nextCronRun(
  cron: string,
  timeZone: string | null | undefined,
  after: number,
): number | undefined {
  return cronOf(cron.trim(), timeZone).nextRun(new Date(after))?.getTime();
}

/** How a recurring schedule recurs; both null for a one-shot. */
export interface Recurrence {
  cron: string | null;
  timeZone: string | null;
  everyMs: number | null;
}

/**
 * The run after the one scheduled at `runAt`, once it ran at `now`: runs missed meanwhile (the
 * bot was down, the run was retried) are skipped, not made up, so a recurring job runs once for
 * them. An interval keeps its phase. Undefined for a one-shot, or a cron with no later match.
 */
export function nextRun(recurrence: Recurrence, runAt: number, now: number): number | undefined {
  const from = Math.max(runAt, now);
  if (recurrence.cron !== null) return nextCronRun(recurrence.cron, recurrence.timeZone, from);
  if (recurrence.everyMs !== null) {
    const every = recurrence.everyMs;
    return runAt + every * (Math.floor((from - runAt) / every) + 1);
  }
  return undefined;
}

/** The first run of a recurring schedule made at `now`. */
export function firstRun(recurrence: Recurrence, now: number): number | undefined {
  if (recurrence.everyMs !== null) return now + recurrence.everyMs;
  return nextRun(recurrence, now, now);
}
