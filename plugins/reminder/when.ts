/**
 * What reminder reads from a user: when ("in 10 minutes", "at 14:30") and the whole request
 * ("me in 10 minutes to call mum"). Pure, web-standard (Intl for time zones).
 */

const UNITS = {
  second: 1000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
} as const;

/** At most a year ahead: a reminder further out is more likely a typo than a plan. */
export const MAX_DELAY_MS = 366 * UNITS.day;

/** When a reminder is due: after a delay, or at a wall-clock time in the user's time zone. */
export type When = { inMs: number } | { hour: number; minute: number };

/** "in <n> <unit>" or "at <HH:MM>"; undefined when it is neither. */
export function readWhen(text: string): When | undefined {
  const delay = /^in\s+(\d{1,6})\s*(second|minute|hour|day)s?$/i.exec(text.trim());
  if (delay) {
    const unit = (delay[2] as string).toLowerCase() as keyof typeof UNITS;
    const inMs = Number(delay[1]) * UNITS[unit];
    return inMs > 0 && inMs <= MAX_DELAY_MS ? { inMs } : undefined;
  }
  const clock = /^at\s+([01]?\d|2[0-3]):([0-5]\d)$/i.exec(text.trim());
  return clock ? { hour: Number(clock[1]), minute: Number(clock[2]) } : undefined;
}

/** "me in 10 minutes to call mum" → when and what; "me" alone (or nothing) → undefined. */
export function readRequest(rest: string): { when: When; text: string } | "empty" | undefined {
  const body = rest.trim().replace(/^me\b/i, "").trim();
  if (body === "") return "empty";
  const match = /^(in\s+\S+\s+\S+|at\s+\S+)\s+to\s+(.+)$/is.exec(body);
  const when = match ? readWhen(match[1] as string) : undefined;
  const text = match?.[2]?.trim();
  return when && text ? { when, text } : undefined;
}

/** The time a `When` names, from `now`; "at" is the next such time in `timeZone`. */
export function dueAt(when: When, now: number, timeZone: string): number {
  if ("inMs" in when) return now + when.inMs;
  const today = wallClock(now, timeZone);
  for (const dayOffset of [0, 1, 2]) {
    const wanted = Date.UTC(
      today.year,
      today.month - 1,
      today.day + dayOffset,
      when.hour,
      when.minute,
    );
    // The instant whose wall-clock time in the zone is `wanted`: correct for the zone's offset
    // there (twice, for the rare offset change between the guess and the answer).
    let at = wanted - offsetAt(wanted, timeZone);
    at = wanted - offsetAt(at, timeZone);
    if (at > now) return at;
  }
  throw new Error("no such time in the next two days");
}

/** "14:30" in the zone, for the confirmation. */
export function clockTime(at: number, timeZone: string): string {
  const { hour, minute } = wallClock(at, timeZone);
  return `${String(hour).padStart(2, "0")}:${String(minute).padStart(2, "0")}`;
}

export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

function wallClock(at: number, timeZone: string): WallClock {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
  }).formatToParts(at);
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return {
    year: part("year"),
    month: part("month"),
    day: part("day"),
    hour: part("hour"),
    minute: part("minute"),
  };
}

/** How far the zone's wall clock is ahead of UTC at `at`, in ms. */
function offsetAt(at: number, timeZone: string): number {
  const w = wallClock(at, timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute);
  return asUtc - (at - (at % 60_000));
}
