import { HTTPFetchError } from "@line/bot-sdk";
import { Cron } from "croner";

/** How LINE words it: "You have reached your monthly limit." */
export const MONTHLY_LIMIT_MESSAGE = /reached your monthly limit/i;

/**
 * LINE's 429 for a channel out of messages this month. Unlike a rate limit it does not clear
 * with time: a retry only spends requests, so it is never retried.
 */
export function isMonthlyLimit(error: unknown): boolean {
  return (
    error instanceof HTTPFetchError &&
    error.status === 429 &&
    MONTHLY_LIMIT_MESSAGE.test(error.body)
  );
}

/**
 * LINE counts messages per calendar month in the channel's region (JST for Japan): the month a
 * time falls in there, as "YYYY-MM".
 */
export function monthOf(ms: number, timeZone: string): string {
  const parts = monthFormat(timeZone).formatToParts(new Date(ms));
  const year = parts.find((part) => part.type === "year")?.value;
  const month = parts.find((part) => part.type === "month")?.value;
  return `${year}-${month}`;
}

/** Formatters by time zone: making one costs far more than using it, and this runs per send. */
const monthFormats = new Map<string, Intl.DateTimeFormat>();

function monthFormat(timeZone: string): Intl.DateTimeFormat {
  let format = monthFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit" });
    monthFormats.set(timeZone, format);
  }
  return format;
}

/** When the month after the one `ms` falls in begins in the time zone: the quota's reset. */
export function nextMonthStart(ms: number, timeZone: string): number {
  const next = new Cron("0 0 0 1 * *", { timezone: timeZone, paused: true }).nextRun(new Date(ms));
  if (!next) throw new Error(`no next month start in ${timeZone}`);
  return next.getTime();
}
