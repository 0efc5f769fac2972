/** When schedules run: cron expressions in a time zone, intervals, and what is not a schedule. */
import { describe, expect, test } from "bun:test";
import { cronProblem, firstRun, nextCronRun, nextRun } from "../../src/schedules/timing.ts";

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/** The next `count` runs of a cron expression after `from`. */
function runs(cron: string, timeZone: string | null, from: string, count: number): string[] {
  const found: string[] = [];
  for (let time = at(from); found.length < count; ) {
    const next = nextCronRun(cron, timeZone, time);
    if (next === undefined) break;
    found.push(iso(next) as string);
    time = next;
  }
  return found;
}

describe("cron in a time zone", () => {
  test("keeps to the wall clock when daylight saving starts and ends", () => {
    // Europe/Berlin: clocks go forward on 29 March 2026 and back on 25 October 2026.
    expect(runs("0 9 * * *", "Europe/Berlin", "2026-03-27T12:00:00Z", 3)).toEqual([
      "2026-03-28T08:00:00.000Z",
      "2026-03-29T07:00:00.000Z",
      "2026-03-30T07:00:00.000Z",
    ]);
    expect(runs("0 9 * * *", "Europe/Berlin", "2026-10-24T12:00:00Z", 2)).toEqual([
      "2026-10-25T08:00:00.000Z",
      "2026-10-26T08:00:00.000Z",
    ]);
  });

  test("a time the change skips runs at the first time after it; a repeated one runs once", () => {
    // New York: 2:30 does not exist on 8 March 2026; 1:30 happens twice on 1 November 2026.
    expect(runs("30 2 * * *", "America/New_York", "2026-03-07T12:00:00Z", 2)).toEqual([
      "2026-03-08T07:00:00.000Z",
      "2026-03-09T06:30:00.000Z",
    ]);
    expect(runs("30 1 * * *", "America/New_York", "2026-10-31T12:00:00Z", 2)).toEqual([
      "2026-11-01T05:30:00.000Z",
      "2026-11-02T06:30:00.000Z",
    ]);
  });

  test("without a time zone it is UTC; six fields count seconds", () => {
    expect(runs("0 9 * * 1", null, "2026-06-01T09:00:00Z", 1)).toEqual([
      "2026-06-08T09:00:00.000Z",
    ]);
    expect(runs("*/20 * * * * *", null, "2026-06-01T00:00:00Z", 2)).toEqual([
      "2026-06-01T00:00:20.000Z",
      "2026-06-01T00:00:40.000Z",
    ]);
  });

  test("what is not a cron expression, or not a time zone, is said so", () => {
    expect(cronProblem("0 9 * * *", "Asia/Tokyo")).toBeUndefined();
    expect(cronProblem("61 * * * *")).toContain("minute");
    expect(cronProblem("2026-06-01T00:00:00Z")).toContain("not a cron expression");
    expect(cronProblem("* * *")).toContain("not a cron expression");
    expect(cronProblem("0 9 * * *", "Mars/Olympus")).toContain("not an IANA time zone");
  });
});

describe("next runs", () => {
  const daily = { cron: "0 9 * * *", timeZone: "UTC", everyMs: null };
  const hourly = { cron: null, timeZone: null, everyMs: 3_600_000 };

  test("a late run is followed by the next time after now, not by the runs it missed", () => {
    const runAt = at("2026-06-01T09:00:00Z");
    expect(iso(nextRun(daily, runAt, runAt + 1000))).toBe("2026-06-02T09:00:00.000Z");
    expect(iso(nextRun(daily, runAt, at("2026-06-05T10:00:00Z")))).toBe("2026-06-06T09:00:00.000Z");
    // An interval keeps its phase.
    expect(iso(nextRun(hourly, runAt, at("2026-06-01T12:30:00Z")))).toBe(
      "2026-06-01T13:00:00.000Z",
    );
    expect(iso(nextRun(hourly, runAt, runAt))).toBe("2026-06-01T10:00:00.000Z");
  });

  test("a one-shot has none; a recurring schedule's first run is after its making", () => {
    const now = at("2026-06-01T09:00:00Z");
    expect(nextRun({ cron: null, timeZone: null, everyMs: null }, now, now)).toBeUndefined();
    expect(iso(firstRun(daily, now))).toBe("2026-06-02T09:00:00.000Z");
    expect(iso(firstRun(hourly, now))).toBe("2026-06-01T10:00:00.000Z");
    // February 30th never comes.
    expect(firstRun({ cron: "0 0 30 2 *", timeZone: null, everyMs: null }, now)).toBeUndefined();
  });
});
