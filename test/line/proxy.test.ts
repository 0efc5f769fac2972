import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { LineProxy, type PushGuard } from "../../src/line/proxy.ts";
import { endpointRate, RateLimiter } from "../../src/line/rate-limiter.ts";
import { platform, type RunningServer } from "../../src/platform/mod.ts";

const TOKEN = "the-channel-access-token";

interface Seen {
  method: string;
  path: string;
  authorization: string | null;
  retryKey: string | null;
  contentLength: string | null;
  body: string;
}

/** LINE's two APIs, played by one server per API that records what reaches it. */
let seen: Seen[] = [];
let answer: (request: Request) => Response | Promise<Response>;
let api: RunningServer;
let data: RunningServer;
let proxy: LineProxy;

function upstream(): RunningServer {
  return platform.serve({
    hostname: "127.0.0.1",
    port: 0,
    maxRequestBodySize: 8 << 20,
    fetch: async (request) => {
      const url = new URL(request.url);
      seen.push({
        method: request.method,
        path: `${url.port === String(api.port) ? "api" : "data"} ${url.pathname}${url.search}`,
        authorization: request.headers.get("authorization"),
        retryKey: request.headers.get("x-line-retry-key"),
        contentLength: request.headers.get("content-length"),
        body: await request.text(),
      });
      return answer(request);
    },
  });
}

beforeAll(() => {
  api = upstream();
  data = upstream();
  proxy = new LineProxy({
    apiBaseUrl: api.url,
    dataApiBaseUrl: data.url,
    channelAccessToken: TOKEN,
  });
});
afterAll(async () => {
  await proxy.stop();
  await Promise.all([api.stop(), data.stop()]);
});
beforeEach(() => {
  seen = [];
  answer = () => Response.json({});
});

const bearer = (capability: string) => ({ authorization: `Bearer ${capability}` });

describe("the LINE proxy for plugin workers", () => {
  test("sends a worker's request on to LINE with the channel's token in place of its capability", async () => {
    const { access } = proxy.grant();
    answer = () =>
      Response.json({ sentMessages: [] }, { status: 200, headers: { "x-line-request-id": "r1" } });
    const body = JSON.stringify({ to: "U1", messages: [{ type: "text", text: "hi" }] });
    const response = await fetch(`${access.apiBaseUrl}/v2/bot/message/push?x=1`, {
      method: "POST",
      headers: {
        ...bearer(access.capability),
        "content-type": "application/json",
        "x-line-retry-key": "123e4567-e89b-12d3-a456-426614174000",
      },
      body,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-line-request-id")).toBe("r1");
    expect(await response.json()).toEqual({ sentMessages: [] });
    expect(seen).toEqual([
      {
        method: "POST",
        path: "api /v2/bot/message/push?x=1",
        authorization: `Bearer ${TOKEN}`,
        retryKey: "123e4567-e89b-12d3-a456-426614174000",
        contentLength: String(body.length),
        body,
      },
    ]);
  });

  test("the data API has its own address", async () => {
    const { access } = proxy.grant();
    answer = () => new Response("bytes", { headers: { "content-type": "image/jpeg" } });
    const response = await fetch(`${access.dataApiBaseUrl}/v2/bot/message/1/content`, {
      headers: bearer(access.capability),
    });
    expect(await response.text()).toBe("bytes");
    expect(response.headers.get("content-type")).toBe("image/jpeg");
    expect(response.headers.get("content-length")).toBe("5");
    expect(seen.map((s) => s.path)).toEqual(["data /v2/bot/message/1/content"]);
  });

  test("the data API takes files beyond the Messaging API's cap: an audience's user ids", async () => {
    const { access } = proxy.grant();
    // 5 MiB of user ids (about 150,000 of LINE's 1,500,000 a file may hold): over the 4 MiB a
    // Messaging API request may have at the proxy.
    const ids = "U0123456789abcdef0123456789abcdef\n".repeat(160_000);
    const upload = (base: string) =>
      fetch(`${base}/v2/bot/audienceGroup/upload/byFile`, {
        method: "POST",
        headers: { ...bearer(access.capability), "content-type": "text/plain" },
        body: ids,
      });
    expect((await upload(access.dataApiBaseUrl)).status).toBe(200);
    expect(seen.map((s) => [s.path, s.body.length])).toEqual([
      ["data /v2/bot/audienceGroup/upload/byFile", ids.length],
    ]);
    expect((await upload(access.apiBaseUrl)).status).toBe(413);
    expect(seen).toHaveLength(1);
  });

  test("LINE's errors reach the worker as they are, Retry-After included", async () => {
    const { access } = proxy.grant();
    answer = () =>
      Response.json({ message: "rate limited" }, { status: 429, headers: { "retry-after": "3" } });
    const response = await fetch(`${access.apiBaseUrl}/v2/bot/info`, {
      headers: bearer(access.capability),
    });
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("3");
    expect(await response.json()).toEqual({ message: "rate limited" });
  });

  test("no capability, an unknown one or a revoked one opens nothing, nor does the token itself", async () => {
    const grant = proxy.grant();
    const status = async (headers: Record<string, string>) =>
      (await fetch(`${grant.access.apiBaseUrl}/v2/bot/info`, { headers })).status;
    expect(await status({})).toBe(401);
    expect(await status(bearer("made-up"))).toBe(401);
    expect(await status(bearer(TOKEN))).toBe(401);
    expect(await status(bearer(grant.access.capability))).toBe(200);
    grant.revoke();
    expect(await status(bearer(grant.access.capability))).toBe(401);
    // Only the one accepted call reached LINE.
    expect(seen).toHaveLength(1);
  });

  test("each worker gets its own capability", () => {
    const one = proxy.grant();
    const other = proxy.grant();
    expect(one.access.capability).not.toBe(other.access.capability);
    expect(one.access.capability.length).toBeGreaterThanOrEqual(43);
  });

  test("content streams through: the worker reads the first bytes before LINE has sent the rest", async () => {
    const { access } = proxy.grant();
    let finish: () => void = () => {};
    const rest = new Promise<void>((resolve) => (finish = resolve));
    answer = () =>
      new Response(
        new ReadableStream<Uint8Array>({
          async start(controller) {
            controller.enqueue(new TextEncoder().encode("first "));
            await rest;
            controller.enqueue(new TextEncoder().encode("second"));
            controller.close();
          },
        }),
      );
    const response = await fetch(`${access.dataApiBaseUrl}/v2/bot/message/2/content`, {
      headers: bearer(access.capability),
    });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe("first ");
    finish();
    let text = "";
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read())
      text += new TextDecoder().decode(chunk.value);
    expect(text).toBe("second");
  });

  test("a worker that gives up cancels the request to LINE", async () => {
    const { access } = proxy.grant();
    let reached: () => void = () => {};
    const arrived = new Promise<void>((resolve) => (reached = resolve));
    const aborted = new Promise<void>((resolve) => {
      answer = (request) => {
        reached();
        // Answers nothing until the request is abandoned (then something, so servers can stop).
        return new Promise<Response>((answered) =>
          request.signal.addEventListener("abort", () => {
            resolve();
            answered(new Response(null));
          }),
        );
      };
    });
    const controller = new AbortController();
    const call = fetch(`${access.apiBaseUrl}/v2/bot/info`, {
      headers: bearer(access.capability),
      signal: controller.signal,
    });
    await arrived;
    controller.abort();
    await expect(call).rejects.toThrow();
    await aborted;
    // Well before the servers' idle timeout (10 s), which would end the request anyway.
  }, 3000);

  test("LINE not answering is a 502 to the worker, which its client retries", async () => {
    const closed = platform.serve({
      hostname: "127.0.0.1",
      port: 0,
      maxRequestBodySize: 1024,
      fetch: () => new Response(),
    });
    const unreachable = closed.url;
    await closed.stop();
    const lonely = new LineProxy({
      apiBaseUrl: unreachable,
      dataApiBaseUrl: unreachable,
      channelAccessToken: TOKEN,
    });
    try {
      const { access } = lonely.grant();
      const response = await fetch(`${access.apiBaseUrl}/v2/bot/info`, {
        headers: bearer(access.capability),
      });
      expect(response.status).toBe(502);
      expect(await response.text()).not.toContain(TOKEN);
    } finally {
      await lonely.stop();
    }
  });

  test("once stopped, it revokes every capability and listens no more", async () => {
    const spare = new LineProxy({
      apiBaseUrl: api.url,
      dataApiBaseUrl: data.url,
      channelAccessToken: TOKEN,
    });
    const { access } = spare.grant();
    await spare.stop();
    await expect(
      fetch(`${access.apiBaseUrl}/v2/bot/info`, { headers: bearer(access.capability) }),
    ).rejects.toThrow();
    expect(seen).toEqual([]);
  });
});

describe("the proxy's cost control and pacing", () => {
  test("a plugin's calls draw on the channel's limiter, and its pushes reach the guard", async () => {
    const sleeps: number[] = [];
    let release = () => {};
    let slept = () => {};
    const firstSleep = new Promise<void>((resolve) => {
      slept = resolve;
    });
    const limiter = new RateLimiter({
      now: () => 0,
      sleep: (ms) => {
        sleeps.push(ms);
        slept();
        return new Promise((resolve) => {
          release = resolve;
        });
      },
    });
    const events: string[] = [];
    const guard: PushGuard = {
      refuse: async (_channel, plugin, recipients) =>
        recipients > 2 ? `too many for ${plugin}: ${recipients}` : undefined,
      sent: (channel, plugin, recipients) => events.push(`sent ${channel} ${plugin} ${recipients}`),
      monthlyLimit: (channel, plugin, error) => events.push(`limit ${channel} ${plugin} ${error}`),
    };
    const paced = new LineProxy(
      { apiBaseUrl: api.url, dataApiBaseUrl: data.url, channelAccessToken: TOKEN },
      { limiter: (channel) => (channel === "default" ? limiter : undefined), pushes: guard },
    );
    try {
      const grant = paced.grant();
      grant.identify("pusher");
      const call = (path: string, body: unknown) =>
        fetch(`${grant.access.apiBaseUrl}${path}`, {
          method: "POST",
          headers: { authorization: `Bearer ${grant.access.capability}` },
          body: JSON.stringify(body),
        });
      const to = (n: number) =>
        Array.from({ length: n }, (_, i) => `U${String(i).padStart(32, "0")}`);

      // The batch endpoint allows one call, then waits an hour's third.
      expect((await call("/v2/bot/richmenu/batch", { operations: [] })).status).toBe(200);
      const waiting = call("/v2/bot/richmenu/batch", { operations: [] });
      await firstSleep;
      expect(sleeps).toEqual([1_200_000]);
      expect(seen).toHaveLength(1);
      release();
      expect((await waiting).status).toBe(200);

      expect((await call("/v2/bot/message/multicast", { to: to(2), messages: [] })).status).toBe(
        200,
      );
      const refused = await call("/v2/bot/message/multicast", { to: to(3), messages: [] });
      expect(refused.status).toBe(403);
      expect(await refused.json()).toEqual({ message: "too many for pusher: 3" });
      answer = () =>
        Response.json({ message: "You have reached your monthly limit." }, { status: 429 });
      expect((await call("/v2/bot/message/push", { to: to(1)[0], messages: [] })).status).toBe(429);
      expect(events).toEqual([
        "sent default pusher 2",
        'limit default pusher HTTP 429: {"message":"You have reached your monthly limit."}',
      ]);
      expect(seen.map((s) => s.path)).toEqual([
        "api /v2/bot/richmenu/batch",
        "api /v2/bot/richmenu/batch",
        "api /v2/bot/message/multicast",
        "api /v2/bot/message/push",
      ]);
    } finally {
      await paced.stop();
    }
  });

  test("a call in channel B (`<capability>@b`) draws on B's limiter and B's guard only", async () => {
    /** A real limiter that also notes the buckets it was asked for. */
    class Noting extends RateLimiter {
      readonly taken: string[] = [];
      override take(bucket: string, ...rest: [Parameters<RateLimiter["take"]>[1]]) {
        this.taken.push(bucket);
        return super.take(bucket, ...rest);
      }
    }
    const limiters = { default: new Noting(), b: new Noting() };
    const events: string[] = [];
    let paused = new Set<string>();
    const guard: PushGuard = {
      refuse: async (channel, plugin) =>
        paused.has(channel) ? `${channel} paused for ${plugin}` : undefined,
      sent: (channel, plugin, recipients) => events.push(`sent ${channel} ${plugin} ${recipients}`),
      monthlyLimit: (channel, plugin) => events.push(`limit ${channel} ${plugin}`),
    };
    const fixed = (token: string) => ({ current: async () => token, renew: async () => token });
    const tokens: Record<string, ReturnType<typeof fixed>> = {
      default: fixed("token-a"),
      b: fixed("token-b"),
    };
    const paced = new LineProxy(
      { apiBaseUrl: api.url, dataApiBaseUrl: data.url, token: (channel) => tokens[channel] },
      { limiter: (channel) => limiters[channel as keyof typeof limiters], pushes: guard },
    );
    try {
      const grant = paced.grant();
      grant.identify("pusher");
      const push = (capability: string) =>
        fetch(`${grant.access.apiBaseUrl}/v2/bot/message/push`, {
          method: "POST",
          headers: bearer(capability),
          body: JSON.stringify({ to: `U${"0".repeat(32)}`, messages: [] }),
        });
      expect((await push(`${grant.access.capability}@b`)).status).toBe(200);
      expect(seen.map((s) => s.authorization)).toEqual(["Bearer token-b"]);
      const pushBucket = endpointRate("POST", "/v2/bot/message/push").bucket;
      expect(limiters.b.taken).toEqual([pushBucket]);
      expect(limiters.default.taken).toEqual([]);
      expect(events).toEqual(["sent b pusher 1"]);

      // B paused: B's push is refused, the default channel's still goes.
      paused = new Set(["b"]);
      const refused = await push(`${grant.access.capability}@b`);
      expect(refused.status).toBe(403);
      expect(await refused.json()).toEqual({ message: "b paused for pusher" });
      expect((await push(grant.access.capability)).status).toBe(200);
      expect(limiters.default.taken).toEqual([pushBucket]);
      expect(limiters.b.taken).toEqual([pushBucket]);
      expect(events).toEqual(["sent b pusher 1", "sent default pusher 1"]);
      expect(seen.map((s) => s.authorization)).toEqual(["Bearer token-b", "Bearer token-a"]);
    } finally {
      await paced.stop();
    }
  });
});
