import { describe, expect, test } from "bun:test";
import { HTTPFetchError } from "@line/bot-sdk";
import { isMonthlyLimit, monthOf, nextMonthStart } from "../../src/line/monthly-limit.ts";

const fetchError = (status: number, body: string) =>
  new HTTPFetchError(`HTTP ${status}`, { status, statusText: "", headers: new Headers(), body });

describe("LINE's quota month", () => {
  test("is the calendar month in the channel's time zone", () => {
    // 2026-01-31 16:00 UTC is already February 1st in Tokyo.
    const t = Date.UTC(2026, 0, 31, 16);
    expect(monthOf(t, "Asia/Tokyo")).toBe("2026-02");
    expect(monthOf(t, "UTC")).toBe("2026-01");
    expect(monthOf(Date.UTC(2026, 11, 31, 14, 59), "Asia/Tokyo")).toBe("2026-12");
  });

  test("resets when the next month begins there", () => {
    expect(nextMonthStart(Date.UTC(2026, 0, 10), "Asia/Tokyo")).toBe(Date.UTC(2026, 0, 31, 15));
    expect(nextMonthStart(Date.UTC(2026, 11, 31, 16), "Asia/Tokyo")).toBe(
      Date.UTC(2027, 0, 31, 15),
    );
    expect(nextMonthStart(Date.UTC(2026, 1, 3), "UTC")).toBe(Date.UTC(2026, 2, 1));
  });

  test("only the 429 that names the monthly limit is one", () => {
    expect(
      isMonthlyLimit(fetchError(429, '{"message":"You have reached your monthly limit."}')),
    ).toBe(true);
    expect(
      isMonthlyLimit(
        fetchError(429, '{"message":"The API rate limit has been exceeded. Try again later."}'),
      ),
    ).toBe(false);
    expect(
      isMonthlyLimit(fetchError(400, '{"message":"You have reached your monthly limit."}')),
    ).toBe(false);
    expect(isMonthlyLimit(new Error("You have reached your monthly limit."))).toBe(false);
  });
});
