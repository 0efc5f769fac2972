/**
 * Keeps one channel's calls under LINE's rate limits instead of provoking 429s. LINE limits each
 * endpoint (method and path) of a channel with a token bucket; this paces each endpoint the same
 * way, by the generic cell rate algorithm: every call reserves the next free slot, so callers go
 * in arrival order and a burst never goes over what LINE's bucket would let through.
 */
import { abortableDelay } from "./abortable-delay.ts";

/** Time for the limiter: tests give one that moves only when told to. */
export interface LimiterClock {
  now(): number;
  /** Resolves after `ms`; rejects when the signal aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export interface Rate {
  /** Calls allowed per `periodMs`. */
  limit: number;
  periodMs: number;
  /** Calls that may go at once after a quiet time (LINE's bucket is never documented). */
  burst: number;
}

const perSecond = (limit: number): Rate => ({
  limit,
  periodMs: 1000,
  burst: Math.ceil(limit / 10),
});
const perMinute = (limit: number): Rate => ({
  limit,
  periodMs: 60_000,
  burst: Math.ceil(limit / 10),
});
const perHour = (limit: number, burst = Math.ceil(limit / 10)): Rate => ({
  limit,
  periodMs: 3_600_000,
  burst,
});

/** "Other API endpoints", reply and push among them: 2,000 requests per second. */
export const DEFAULT_RATE = perSecond(2000);

/**
 * The endpoints LINE limits below the default (reference: "Rate limits"), as method and a path
 * pattern. Anything else gets DEFAULT_RATE.
 */
const RULES: Array<[method: string, path: RegExp, rate: Rate]> = [
  ["POST", /^\/v2\/bot\/message\/(narrowcast|broadcast)$/, perHour(60)],
  ["GET", /^\/v2\/bot\/insight\//, perHour(60)],
  ["POST", /^\/v2\/bot\/channel\/webhook\/test$/, perHour(60)],
  ["POST", /^\/v2\/bot\/audienceGroup\//, perMinute(60)],
  ["PUT", /^\/v2\/bot\/audienceGroup\//, perMinute(60)],
  ["DELETE", /^\/v2\/bot\/audienceGroup\//, perMinute(60)],
  ["GET", /^\/v2\/bot\/audienceGroup\//, perMinute(60)],
  ["PUT", /^\/v2\/bot\/channel\/webhook\/endpoint$/, perMinute(1000)],
  ["GET", /^\/v2\/bot\/channel\/webhook\/endpoint$/, perMinute(1000)],
  ["POST", /^\/v2\/bot\/richmenu$/, perHour(100)],
  ["DELETE", /^\/v2\/bot\/richmenu\/[^/]+$/, perHour(100)],
  ["DELETE", /^\/v2\/bot\/richmenu\/alias\/[^/]+$/, perHour(100)],
  ["POST", /^\/v2\/bot\/richmenu\/batch$/, perHour(3, 1)],
  ["GET", /^\/v2\/bot\/richmenu\/list$/, perSecond(10)],
  ["POST", /^\/v2\/bot\/message\/multicast$/, perSecond(200)],
  ["POST", /^\/v2\/bot\/chat\/loading\/start$/, perSecond(100)],
  ["POST", /^\/oauth2\/v3\/token$/, perSecond(370)],
];

/** Which of LINE's buckets a request draws on, and its rate. */
export function endpointRate(method: string, path: string): { bucket: string; rate: Rate } {
  const upper = method.toUpperCase();
  for (const [ruleMethod, pattern, rate] of RULES)
    if (ruleMethod === upper && pattern.test(path)) return { bucket: `${upper} ${pattern}`, rate };
  // Each endpoint has its own bucket: ids in the path are parameters, not other endpoints.
  const shape = path
    .replace(/\/[UCR][0-9a-f]{32}(?=\/|$)/g, "/{id}")
    .replace(/\/\d+(?=\/|$)/g, "/{n}");
  return { bucket: `${upper} ${shape}`, rate: DEFAULT_RATE };
}

/** The host's calls, named by endpoint, as the requests they make. */
const NAMED: Record<string, [string, string]> = {
  reply: ["POST", "/v2/bot/message/reply"],
  push: ["POST", "/v2/bot/message/push"],
  quota: ["GET", "/v2/bot/message/quota"],
  "quota-consumption": ["GET", "/v2/bot/message/quota/consumption"],
};

/** The bucket of a host call named by `LineClient.call`'s endpoint name. */
export function namedRate(endpoint: string): { bucket: string; rate: Rate } {
  const request = NAMED[endpoint];
  return request ? endpointRate(...request) : { bucket: endpoint, rate: DEFAULT_RATE };
}

export const systemLimiterClock: LimiterClock = {
  now: () => performance.now(),
  sleep: abortableDelay,
};

/** Endpoints with ids in their paths make many buckets; idle ones are forgotten past this. */
const MAX_BUCKETS = 1000;

export class RateLimiter {
  readonly #clock: LimiterClock;
  /** Per bucket: the theoretical arrival time of the next call (GCRA). */
  readonly #next = new Map<string, number>();
  /** Calls that waited for a slot, and how long in all (metrics). */
  waited = 0;
  waitedMs = 0;

  constructor(clock: LimiterClock = systemLimiterClock) {
    this.#clock = clock;
  }

  /** How long a call on this bucket must wait now; reserves its slot. */
  reserve(bucket: string, rate: Rate): number {
    const interval = rate.periodMs / rate.limit;
    const tolerance = (Math.max(1, rate.burst) - 1) * interval;
    const now = this.#clock.now();
    const next = Math.max(this.#next.get(bucket) ?? now, now);
    if (this.#next.size >= MAX_BUCKETS) this.#forgetIdle(now);
    this.#next.set(bucket, next + interval);
    return Math.max(0, next - tolerance - now);
  }

  /** A bucket whose next slot is past is full again: forgetting it changes nothing. */
  #forgetIdle(now: number): void {
    for (const [bucket, next] of this.#next) if (next <= now) this.#next.delete(bucket);
  }

  /** Resolves when the call may go; an abort while waiting rejects (its slot stays spent). */
  async take(bucket: string, rate: Rate, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const wait = this.reserve(bucket, rate);
    if (wait <= 0) return;
    this.waited++;
    this.waitedMs += wait;
    await this.#clock.sleep(wait, signal);
  }
}
