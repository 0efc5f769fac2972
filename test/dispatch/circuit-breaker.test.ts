import { describe, expect, test } from "bun:test";
import { CircuitBreaker } from "../../src/plugin-host/circuit-breaker.ts";

const T0 = 1_000_000;
const policy = { threshold: 3, cooldownMs: 1000 };

/** A breaker that has just opened at T0. */
function opened(): CircuitBreaker {
  const breaker = new CircuitBreaker(policy);
  breaker.record(false, T0);
  breaker.record(false, T0);
  expect(breaker.record(false, T0)).toBe(true);
  return breaker;
}

describe("CircuitBreaker", () => {
  test("stays closed below the threshold, and only consecutive failures count", () => {
    const breaker = new CircuitBreaker(policy);
    expect(breaker.record(false, T0)).toBe(false);
    expect(breaker.record(false, T0)).toBe(false);
    expect(breaker.consecutiveFailures).toBe(2);
    expect(breaker.record(true, T0)).toBe(false);
    expect(breaker.consecutiveFailures).toBe(0);
    expect(breaker.record(false, T0)).toBe(false);
    expect(breaker.record(false, T0)).toBe(false);
    expect(breaker.pausedUntil(T0)).toBeUndefined();
    expect(breaker.stateAt(T0)).toBe("closed");
  });

  test("opens at the threshold and pauses the plugin for the cooldown", () => {
    const breaker = opened();
    expect(breaker.stateAt(T0)).toBe("open");
    expect(breaker.pausedUntil(T0)).toBe(T0 + 1000);
    expect(breaker.pausedUntil(T0 + 999)).toBe(T0 + 1000);
  });

  test("after the cooldown it lets a delivery through (half-open)", () => {
    const breaker = opened();
    expect(breaker.pausedUntil(T0 + 1000)).toBeUndefined();
    expect(breaker.pausedUntil(T0 + 5000)).toBeUndefined();
  });

  test("a failure while half-open opens it again for another cooldown", () => {
    const breaker = opened();
    expect(breaker.record(false, T0 + 1500)).toBe(true);
    expect(breaker.pausedUntil(T0 + 1500)).toBe(T0 + 2500);
    expect(breaker.pausedUntil(T0 + 2500)).toBeUndefined();
  });

  test("a success while half-open closes it: the threshold counts from zero again", () => {
    const breaker = opened();
    expect(breaker.record(true, T0 + 1000)).toBe(false);
    expect(breaker.stateAt(T0)).toBe("closed");
    expect(breaker.consecutiveFailures).toBe(0);
    expect(breaker.record(false, T0 + 1001)).toBe(false);
    expect(breaker.record(false, T0 + 1002)).toBe(false);
    expect(breaker.pausedUntil(T0 + 1002)).toBeUndefined();
    expect(breaker.record(false, T0 + 1003)).toBe(true);
    expect(breaker.pausedUntil(T0 + 1003)).toBe(T0 + 2003);
  });

  test("reset closes an open breaker at once", () => {
    const breaker = opened();
    breaker.reset();
    expect(breaker.pausedUntil(T0)).toBeUndefined();
    expect(breaker.stateAt(T0)).toBe("closed");
    expect(breaker.consecutiveFailures).toBe(0);
  });

  test("reports half-open once the cooldown has passed", () => {
    const breaker = opened();
    expect(breaker.stateAt(T0 + 500)).toBe("open");
    expect(breaker.stateAt(T0 + 1000)).toBe("half-open");
  });
});
