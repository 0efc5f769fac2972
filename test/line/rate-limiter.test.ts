import { describe, expect, test } from "bun:test";
import { LineStandIn } from "../../src/dev/line-stand-in/mod.ts";
import { LineClient } from "../../src/line/client.ts";
import {
  DEFAULT_RATE,
  endpointRate,
  type LimiterClock,
  type Rate,
  RateLimiter,
} from "../../src/line/rate-limiter.ts";

/** Time that moves only when told; sleepers wake when it reaches their time. */
class FakeTime implements LimiterClock {
  #now = 0;
  #sleepers: Array<{ at: number; wake(): void }> = [];
  now(): number {
    return this.#now;
  }
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.#sleepers.push({ at: this.#now + ms, wake: resolve }));
  }
  get sleeping(): number {
    return this.#sleepers.length;
  }
  async advance(ms: number): Promise<void> {
    this.#now += ms;
    const due = this.#sleepers.filter((s) => s.at <= this.#now);
    this.#sleepers = this.#sleepers.filter((s) => s.at > this.#now);
    for (const sleeper of due) sleeper.wake();
    // Let the woken callers run on.
    for (let i = 0; i < 5; i++) await Promise.resolve();
  }
}

/** Starts `n` takes and counts, after each step of fake time, how many have gone. */
async function run(time: FakeTime, rate: Rate, n: number, steps: number[], bucket = "b") {
  const limiter = new RateLimiter(time);
  let gone = 0;
  for (let i = 0; i < n; i++) void limiter.take(bucket, rate).then(() => gone++);
  await time.advance(0);
  const seen = [gone];
  for (const step of steps) {
    await time.advance(step);
    seen.push(gone);
  }
  return seen;
}

describe("RateLimiter", () => {
  test("lets the burst go at once, then one call per interval, in arrival order", async () => {
    const time = new FakeTime();
    const rate: Rate = { limit: 10, periodMs: 1000, burst: 3 };
    // 3 at once, then one per 100 ms.
    expect(await run(time, rate, 8, [99, 1, 100, 100, 100, 100, 1000])).toEqual([
      3, 3, 4, 5, 6, 7, 8, 8,
    ]);
  });

  test("holds the rate over a long run: never more than burst + elapsed × rate", async () => {
    const time = new FakeTime();
    const rate = DEFAULT_RATE; // 2,000/s, burst 200
    const steps = Array.from({ length: 20 }, () => 50);
    const seen = await run(time, rate, 5000, steps);
    seen.forEach((gone, i) => {
      expect(gone).toBeLessThanOrEqual(rate.burst + (i * 50 * rate.limit) / 1000);
    });
    // After 1 s: the burst and 2,000 more, no fewer.
    expect(seen.at(-1)).toBe(rate.burst + 2000);
  });

  test("endpoints have buckets of their own", async () => {
    const time = new FakeTime();
    const limiter = new RateLimiter(time);
    const rate: Rate = { limit: 1, periodMs: 1000, burst: 1 };
    expect(limiter.reserve("a", rate)).toBe(0);
    expect(limiter.reserve("b", rate)).toBe(0);
    expect(limiter.reserve("a", rate)).toBe(1000);
  });

  test("a quiet spell refills the bucket, never beyond the burst", async () => {
    const time = new FakeTime();
    const limiter = new RateLimiter(time);
    const rate: Rate = { limit: 10, periodMs: 1000, burst: 2 };
    for (let i = 0; i < 4; i++) limiter.reserve("a", rate);
    await time.advance(10_000);
    expect([0, 1, 2].map(() => limiter.reserve("a", rate))).toEqual([0, 0, 100]);
  });

  test("LINE's documented rates by endpoint", () => {
    expect(endpointRate("POST", "/v2/bot/message/reply").rate).toEqual(DEFAULT_RATE);
    expect(endpointRate("POST", "/v2/bot/message/multicast").rate.limit).toBe(200);
    expect(endpointRate("POST", "/v2/bot/message/broadcast").rate).toMatchObject({
      limit: 60,
      periodMs: 3_600_000,
    });
    expect(endpointRate("POST", "/v2/bot/richmenu/batch").rate.limit).toBe(3);
    const profile = (id: string) => endpointRate("GET", `/v2/bot/profile/${id}`).bucket;
    expect(profile(`U${"a".repeat(32)}`)).toBe(profile(`U${"b".repeat(32)}`));
  });
});

describe("LineClient paces its calls", () => {
  test("calls over the burst wait for the limiter before reaching LINE", async () => {
    const token = "limiter-test-token";
    const standIn = new LineStandIn({ channelAccessToken: token });
    const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (r) => standIn.fetch(r) });
    try {
      const time = new FakeTime();
      const client = new LineClient({
        channelAccessToken: token,
        apiBaseUrl: `http://127.0.0.1:${server.port}`,
        log: { warn: () => {} },
        retry: { retries: 0, baseDelayMs: 1, maxDelayMs: 1 },
        limiter: new RateLimiter(time),
      });
      const to = `U${"0".repeat(32)}`;
      const pushes = Array.from({ length: DEFAULT_RATE.burst + 2 }, (_, i) =>
        client.push(to, [{ type: "text", text: `m${i}` }], crypto.randomUUID()),
      );
      await time.advance(0);
      await standIn.waitFor((s) => s.pushes.length >= DEFAULT_RATE.burst);
      expect(time.sleeping).toBe(2);
      await time.advance(1);
      await Promise.all(pushes);
      expect(standIn.pushes).toHaveLength(DEFAULT_RATE.burst + 2);
    } finally {
      server.stop(true);
    }
  });
});
