/**
 * The outgoing rate limiter under load: a burst of pushes from one channel against a fake LINE
 * that enforces LINE's 2,000 requests per second per endpoint with a token bucket (its capacity
 * undocumented; here one second's worth), answering 429 past it. Without the limiter the burst
 * provokes 429s and retries; with it, none, at about LINE's rate.
 */
import { LineClient } from "../src/line/client.ts";
import { DEFAULT_RATE, RateLimiter } from "../src/line/rate-limiter.ts";
import type { Row } from "./stats.ts";

const TOKEN = "bench-rate-limit-token";

/** A push endpoint limited like LINE's: a token bucket of `capacity`, refilled at `perSecond`. */
function fakeLine(perSecond: number, capacity: number) {
  let tokens = capacity;
  let at = performance.now();
  let limited = 0;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: async (request) => {
      await request.arrayBuffer();
      const now = performance.now();
      tokens = Math.min(capacity, tokens + ((now - at) * perSecond) / 1000);
      at = now;
      if (tokens < 1) {
        limited++;
        return Response.json(
          { message: "The API rate limit has been exceeded. Try again later." },
          { status: 429 },
        );
      }
      tokens -= 1;
      return Response.json({ sentMessages: [{ id: "1" }] });
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    limited: () => limited,
    stop: () => server.stop(true),
  };
}

async function burst(pushes: number, paced: boolean) {
  const line = fakeLine(DEFAULT_RATE.limit, DEFAULT_RATE.limit);
  const limiter = new RateLimiter();
  // Without pacing: a limiter that never makes a call wait.
  if (!paced) limiter.reserve = () => 0;
  const client = new LineClient({
    channelAccessToken: TOKEN,
    apiBaseUrl: line.url,
    log: { warn: () => {} },
    retry: { retries: 8, baseDelayMs: 50, maxDelayMs: 2_000 },
    limiter,
  });
  const to = `U${"0".repeat(32)}`;
  const started = performance.now();
  const results = await Promise.all(
    Array.from({ length: pushes }, (_, i) =>
      client.push(to, [{ type: "text", text: `m${i}` }], crypto.randomUUID()),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  line.stop();
  return {
    seconds,
    failed: results.filter((r) => !r.ok).length,
    limited: line.limited(),
  };
}

export async function rateLimit(quick: boolean): Promise<Row[]> {
  const pushes = quick ? 3_000 : 10_000;
  const rows: Row[] = [];
  for (const paced of [false, true]) {
    const result = await burst(pushes, paced);
    const label = paced ? "with the limiter" : "without the limiter";
    rows.push({
      section: "rate limit",
      metric: `${pushes} pushes at once, ${label}`,
      value: `${result.limited} × 429`,
      note: `${(pushes / result.seconds).toFixed(0)} pushes/s sent, ${result.failed} failed after retries, ${result.seconds.toFixed(2)} s`,
    });
  }
  return rows;
}
