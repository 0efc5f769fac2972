import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { HTTPFetchError } from "@line/bot-sdk";
import type { RetryPolicy } from "../../src/config/options.ts";
import type { Message } from "../../src/core/message.ts";
import { LineStandIn, monthlyLimitFault } from "../../src/dev/line-stand-in/mod.ts";
import { describeError, LineClient } from "../../src/line/client.ts";
import { isRetryable, retryDelayMs, withRetry } from "../../src/line/retry.ts";
import { retryKey } from "../../src/line/retry-key.ts";

const TOKEN = "line-client-test-token";
const USER = "U0123456789abcdef0123456789abcdef";
const KEY = "123e4567-e89b-42d3-a456-426614174000";
const PUSH = "/v2/bot/message/push";
const REPLY = "/v2/bot/message/reply";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const hello: Message[] = [{ type: "text", text: "hello" }];

let standIn: LineStandIn;
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch: (request) => standIn.fetch(request),
});
const baseUrl = `http://127.0.0.1:${server.port}`;
afterAll(() => server.stop(true));

let warnings: Array<Record<string, unknown>>;
function client(
  retry: RetryPolicy = { retries: 3, baseDelayMs: 1, maxDelayMs: 50 },
  url = baseUrl,
) {
  return new LineClient({
    channelAccessToken: TOKEN,
    apiBaseUrl: url,
    log: { warn: (fields) => warnings.push(fields) },
    retry,
  });
}

beforeEach(() => {
  standIn = new LineStandIn({ channelAccessToken: TOKEN });
  warnings = [];
});

const statuses = (path: string) =>
  standIn.requests.filter((r) => r.path === path).map((r) => r.status);

describe("LineClient retries", () => {
  test("a 500 is retried with the same retry key, and the push goes out once", async () => {
    standIn.fault({ path: PUSH, status: 500 });
    expect(await client().push(USER, hello, KEY)).toEqual({ ok: true, duplicate: false });
    expect(statuses(PUSH)).toEqual([500, 200]);
    expect(standIn.requests.map((r) => r.retryKey)).toEqual([KEY, KEY]);
    expect(standIn.pushes).toHaveLength(1);
    expect(warnings).toMatchObject([{ endpoint: "push", retry: 1 }]);
    expect(String(warnings[0]?.error)).toContain("HTTP 500");
  });

  test("a 429 is retried after Retry-After, capped at the policy's maximum delay", async () => {
    standIn.fault({ path: REPLY, status: 429, retryAfterSeconds: 1 });
    const replyToken = standIn.issueReplyToken();
    expect(await client().reply(replyToken, hello)).toEqual({ ok: true });
    expect(statuses(REPLY)).toEqual([429, 200]);
    // Retry-After asks for 1000 ms; this client's policy allows at most 50.
    expect(warnings).toMatchObject([{ endpoint: "reply", retry: 1, delayMs: 50 }]);
  });

  test("retries stop after the policy's count; the last error is returned", async () => {
    standIn.fault({ path: PUSH, status: 503, times: Infinity });
    const result = await client({ retries: 2, baseDelayMs: 1, maxDelayMs: 5 }).push(
      USER,
      hello,
      KEY,
    );
    expect(result).toMatchObject({ ok: false });
    expect(result.ok ? "" : result.error).toContain("HTTP 503");
    expect(statuses(PUSH)).toEqual([503, 503, 503]);
  });

  test("a connection failure is retried too", async () => {
    const closed = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
    const url = `http://127.0.0.1:${closed.port}`;
    await closed.stop(true);
    const result = await client({ retries: 2, baseDelayMs: 1, maxDelayMs: 5 }, url).push(
      USER,
      hello,
      KEY,
    );
    expect(result.ok).toBe(false);
    expect(warnings.map((w) => w.retry)).toEqual([1, 2]);
  });
});

describe("LineClient errors that are not retried", () => {
  test("a 400 is not retried, and the error carries LINE's body", async () => {
    const result = await client().push(USER, [], KEY);
    expect(statuses(PUSH)).toEqual([400]);
    expect(warnings).toEqual([]);
    if (result.ok) throw new Error("expected the push to fail");
    expect(result.error).toStartWith("HTTP 400: ");
    const body = JSON.parse(result.error.slice("HTTP 400: ".length));
    expect(body.message).toBe("The request body has 1 error(s)");
    expect(body.details).toEqual([expect.objectContaining({ property: "messages" })]);
  });

  test("call() rejects with the SDK's HTTPFetchError, LINE's body and status included", async () => {
    const line = client();
    const error = await line
      .call("push", () => line.api.pushMessage({ to: USER, messages: [] }))
      .then(
        () => undefined,
        (caught: unknown) => caught,
      );
    expect(error).toBeInstanceOf(HTTPFetchError);
    expect((error as HTTPFetchError).status).toBe(400);
    expect(describeError(error)).toContain("The request body has 1 error(s)");
  });

  test("an unknown reply token is reported as such, after one request", async () => {
    const result = await client().reply("0123456789abcdef0123456789abcdef", hello);
    expect(result).toEqual({
      ok: false,
      invalidToken: true,
      maybeSent: false,
      error: expect.stringContaining("Invalid reply token"),
    });
    expect(statuses(REPLY)).toEqual([400]);
  });

  test("a reply whose tries all failed with 5xx may have been sent", async () => {
    standIn.fault({ path: REPLY, status: 500, times: Infinity });
    const result = await client({ retries: 1, baseDelayMs: 1, maxDelayMs: 5 }).reply(
      standIn.issueReplyToken(),
      hello,
    );
    expect(result).toMatchObject({ ok: false, invalidToken: false, maybeSent: true });
  });

  test("a reply refused with 429 was not sent", async () => {
    standIn.fault({ path: REPLY, status: 429, times: Infinity });
    const result = await client({ retries: 1, baseDelayMs: 1, maxDelayMs: 5 }).reply(
      standIn.issueReplyToken(),
      hello,
    );
    expect(result).toMatchObject({ ok: false, invalidToken: false, maybeSent: false });
  });

  test("LINE's monthly limit is not retried, and the push says so", async () => {
    standIn.fault(monthlyLimitFault(Infinity));
    const result = await client().push(USER, hello, KEY);
    expect(result).toMatchObject({ ok: false, monthlyLimit: true });
    expect(result.ok ? "" : result.error).toContain("You have reached your monthly limit.");
    expect(statuses(PUSH)).toEqual([429]);
    expect(warnings).toEqual([]);
  });

  test("a rate-limit 429 on a push is no monthly limit", async () => {
    standIn.fault({ path: PUSH, status: 429, times: Infinity });
    const result = await client({ retries: 1, baseDelayMs: 1, maxDelayMs: 1 }).push(
      USER,
      hello,
      KEY,
    );
    expect(result).toMatchObject({ ok: false, monthlyLimit: false });
    expect(statuses(PUSH)).toEqual([429, 429]);
  });

  test("a 409 for a known retry key counts as sent", async () => {
    const line = client();
    expect(await line.push(USER, hello, KEY)).toEqual({ ok: true, duplicate: false });
    expect(await line.push(USER, hello, KEY)).toEqual({ ok: true, duplicate: true });
    expect(statuses(PUSH)).toEqual([200, 409]);
    expect(standIn.pushes).toHaveLength(1);
  });
});

function httpError(status: number, headers: Record<string, string> = {}): HTTPFetchError {
  return new HTTPFetchError(`HTTP ${status}`, {
    status,
    statusText: "",
    headers: new Headers(headers),
    body: "{}",
  });
}

describe("retryDelayMs", () => {
  const policy: RetryPolicy = { retries: 5, baseDelayMs: 100, maxDelayMs: 30_000 };

  test("honours Retry-After in seconds", () => {
    expect(retryDelayMs(policy, 0, httpError(429, { "retry-after": "2" }))).toBe(2000);
    expect(retryDelayMs(policy, 3, httpError(503, { "retry-after": "0" }))).toBe(0);
  });

  test("honours Retry-After as an HTTP date", () => {
    const at = new Date(Date.now() + 10_000).toUTCString();
    const delay = retryDelayMs(policy, 0, httpError(429, { "retry-after": at }));
    // The date has whole seconds: up to one second less than asked.
    expect(delay).toBeGreaterThan(8_000);
    expect(delay).toBeLessThanOrEqual(10_000);
  });

  test("caps Retry-After at maxDelayMs", () => {
    expect(retryDelayMs(policy, 0, httpError(429, { "retry-after": "3600" }))).toBe(30_000);
  });

  test("without Retry-After: exponential with jitter, within [ceiling/2, ceiling], capped", () => {
    for (let retry = 0; retry < 12; retry++) {
      const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
      for (let sample = 0; sample < 20; sample++) {
        const delay = retryDelayMs(policy, retry, httpError(500));
        expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
        expect(delay).toBeLessThanOrEqual(ceiling);
      }
    }
  });

  test("which failures are retryable", () => {
    for (const status of [429, 500, 502, 503, 504])
      expect(isRetryable(httpError(status))).toBe(true);
    for (const status of [400, 401, 403, 404, 409, 413])
      expect(isRetryable(httpError(status))).toBe(false);
    expect(isRetryable(new TypeError("fetch failed"))).toBe(true);
    expect(isRetryable(new Error("a bug"))).toBe(false);
  });

  test("withRetry stops waiting when its signal aborts", async () => {
    const controller = new AbortController();
    let calls = 0;
    const slow: RetryPolicy = { retries: 5, baseDelayMs: 60_000, maxDelayMs: 60_000 };
    const pending = withRetry(
      slow,
      async () => {
        calls++;
        throw httpError(500);
      },
      () => controller.abort(new Error("stopped")),
      controller.signal,
    );
    await expect(pending).rejects.toThrow("stopped");
    expect(calls).toBe(1);
  });

  test("withRetry leaves no listener on its signal once a wait is over", async () => {
    // A plugin version's signal lives as long as the version: listeners must not pile up on it.
    const signal = new AbortController().signal;
    const listening = new Set<unknown>();
    const add = signal.addEventListener.bind(signal);
    const remove = signal.removeEventListener.bind(signal);
    signal.addEventListener = (
      type: string,
      listener: EventListenerOrEventListenerObject,
      options?: boolean | AddEventListenerOptions,
    ) => {
      listening.add(listener);
      add(type, listener, options);
    };
    signal.removeEventListener = (
      type: string,
      listener: EventListenerOrEventListenerObject,
      options?: boolean | EventListenerOptions,
    ) => {
      listening.delete(listener);
      remove(type, listener, options);
    };
    let calls = 0;
    const result = await withRetry(
      { retries: 3, baseDelayMs: 1, maxDelayMs: 1 },
      async () => {
        if (++calls < 3) throw httpError(500);
        return "answered";
      },
      () => undefined,
      signal,
    );
    expect(result).toBe("answered");
    expect(calls).toBe(3);
    expect(listening.size).toBe(0);
  });

  test("withRetry makes no call once its signal is aborted", async () => {
    const controller = new AbortController();
    controller.abort(new Error("gave up"));
    let calls = 0;
    const pending = withRetry(
      { retries: 3, baseDelayMs: 1, maxDelayMs: 1 },
      async () => ++calls,
      () => undefined,
      controller.signal,
    );
    await expect(pending).rejects.toThrow("gave up");
    expect(calls).toBe(0);
  });
});

describe("retryKey", () => {
  test("is a UUID, the same for the same parts, different for different parts", () => {
    const key = retryKey("event-1", "plugin-a", "push:0", 0);
    expect(key).toMatch(UUID);
    expect(retryKey("event-1", "plugin-a", "push:0", 0)).toBe(key);
    const others = [
      retryKey("event-2", "plugin-a", "push:0", 0),
      retryKey("event-1", "plugin-b", "push:0", 0),
      retryKey("event-1", "plugin-a", "push:1", 0),
      retryKey("event-1", "plugin-a", "push:0", 5),
      // Parts are delimited: moving a character between parts changes the key.
      retryKey("event-1p", "lugin-a", "push:0", 0),
    ];
    expect(new Set([key, ...others]).size).toBe(others.length + 1);
  });
});
