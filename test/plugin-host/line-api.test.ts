/**
 * `ctx.api` as a plugin uses it: the SDK's clients in the plugin's worker, through the host's
 * proxy, to the LINE stand-in behind two servers playing LINE's hosts (api.line.me and
 * api-data.line.me), which record what reached each and can lose an answer after LINE acted.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  createPluginsDir,
  event,
  startTestBot,
  type TestBot,
  user,
} from "../../src/dev/testing/mod.ts";
import { samplePng } from "../e2e/png.ts";
import { sample, scrape } from "../metrics/prom.ts";

const PLUGIN = `
import { definePlugin } from "hotline";

const text = (value) => ({ type: "text", text: value });

export default definePlugin({
  name: "raw-api",
  setup(ctx) {
    // A rich menu from an image an admin posts: the menu on the Messaging API, its image on the
    // data API.
    ctx.route("POST", "/menu", async (request) => {
      const size = { width: 800, height: 270 };
      const { richMenuId } = await ctx.api.createRichMenu({
        size,
        selected: false,
        name: "main",
        chatBarText: "Menu",
        areas: [{ bounds: { x: 0, y: 0, ...size }, action: { type: "postback", data: "menu" } }],
      });
      const image = new Blob([await request.arrayBuffer()], { type: "image/png" });
      await ctx.api.blob.setRichMenuImage(richMenuId, image);
      await ctx.api.setDefaultRichMenu(richMenuId);
      return Response.json({ richMenuId });
    });
    ctx.route("POST", "/push", async (request) => {
      const { to, words, key } = await request.json();
      return Response.json(await ctx.api.pushMessage({ to, messages: [text(words)] }, key));
    });
  },
  on: {
    "message:text": async (event, ctx) => {
      const to = event.source.userId;
      const key = "results:" + event.webhookEventId;
      const results = (await ctx.kv.get(key)) ?? [];
      if (event.message.text === "push then fail") {
        results.push(await ctx.api.pushMessage({ to, messages: [text("raw push")] }));
      }
      if (event.message.text === "send everything then fail") {
        await ctx.api.pushMessage({ to, messages: [text("first")] });
        const { httpResponse } = await ctx.api.pushMessageWithHttpInfo({
          to,
          messages: [text("second")],
        });
        results.push({
          status: httpResponse.status,
          requestId: httpResponse.headers.get("x-line-request-id"),
          acceptedRequestId: httpResponse.headers.get("x-line-accepted-request-id"),
        });
        await ctx.api.multicast({ to: [to], messages: [text("to many")] });
        await ctx.api.broadcast({ messages: [text("to all")] });
      }
      await ctx.kv.set(key, results);
      if (ctx.attempt === 1) throw new Error("failed after sending");
    },
  },
});
`;

/** One of LINE's hosts, in front of the stand-in: what reached it, and an answer to lose. */
class LineHost {
  readonly reached: string[] = [];
  #lose: ((path: string) => boolean) | undefined;
  readonly #server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    maxRequestBodySize: 8 << 20,
    fetch: async (request) => {
      const path = new URL(request.url).pathname;
      this.reached.push(`${request.method} ${path}`);
      const answer = await bot.line.fetch(request);
      if (!this.#lose?.(path)) return answer;
      // LINE acted on the request; its answer never arrives (what a 5xx may mean).
      this.#lose = undefined;
      return new Response("upstream lost", { status: 503 });
    },
  });

  get url(): string {
    return `http://127.0.0.1:${this.#server.port}`;
  }

  /** The next request to a matching path is carried out, and answered 503. */
  loseNextAnswer(match: (path: string) => boolean): void {
    this.#lose = match;
  }

  stop(): Promise<void> {
    return this.#server.stop(true);
  }
}

const api = new LineHost();
const data = new LineHost();
const plugins = createPluginsDir();
let bot: TestBot;

beforeAll(async () => {
  plugins.write("raw-api.ts", PLUGIN);
  bot = await startTestBot({
    pluginsDir: plugins.dir,
    env: { LINE_API_BASE_URL: api.url, LINE_DATA_API_BASE_URL: data.url },
  });
});
afterAll(async () => {
  await bot?.stop();
  await Promise.all([api.stop(), data.stop()]);
  plugins.remove();
});

let chats = 0;
const freshUser = () => user(`U${(++chats).toString(16).padStart(32, "c")}`);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const route = (path: string, body: BodyInit) =>
  fetch(`${bot.url}/plugins/raw-api${path}`, { method: "POST", body });

async function delivery(eventId: string) {
  const row = (await bot.deliveries(eventId)).find((d) => d.plugin === "raw-api");
  if (!row) throw new Error(`no delivery of ${eventId}`);
  return row;
}

/** The push requests LINE got for a recipient. */
const pushRequests = (to: string) =>
  bot.line.requests.filter(
    (r) => r.path === "/v2/bot/message/push" && (r.body as { to?: unknown }).to === to,
  );

describe("ctx.api: the SDK's clients, through the host", () => {
  test("the blob client uploads a rich menu image to LINE's data API host", async () => {
    const png = samplePng(800, 270);
    const response = await route("/menu", png);
    expect(response.status).toBe(200);
    const { richMenuId } = (await response.json()) as { richMenuId: string };

    const menu = bot.line.richMenuOf(freshUser().userId);
    expect(menu?.richMenuId).toBe(richMenuId);
    expect(menu?.image?.contentType).toBe("image/png");
    expect(menu?.image?.bytes).toEqual(png);
    // The image went to the data API's host, the menu itself to the Messaging API's.
    const upload = `POST /v2/bot/richmenu/${richMenuId}/content`;
    expect(data.reached).toContain(upload);
    expect(api.reached).not.toContain(upload);
    expect(api.reached).toContain("POST /v2/bot/richmenu");
    expect(api.reached).toContain(`POST /v2/bot/user/all/richmenu/${richMenuId}`);
    // Counted under the blob client's method, as the Messaging API's calls are under theirs.
    const calls = (endpoint: string) =>
      sample(metrics, "hotline_line_api_calls_total", { caller: "raw-api", endpoint });
    const metrics = await scrape(bot.url);
    expect(calls("setRichMenuImage")).toBe(1);
    expect(calls("createRichMenu")).toBe(1);
  });
});

describe("raw sends from a handler carry retry keys stable across the delivery's retries", () => {
  test("a push followed by a failure: the retry's push is answered 409, resolves as sent, and the user gets it once", async () => {
    const chat = freshUser();
    const sent = event.text("push then fail", { chat });
    await bot.deliver(sent);
    expect((await delivery(sent.webhookEventId)).status).toBe("retry");
    await bot.advance(1_200);
    // Done on the second attempt: the 409 did not fail the handler.
    expect(await delivery(sent.webhookEventId)).toMatchObject({ status: "done", attempts: 2 });

    const requests = pushRequests(chat.userId);
    expect(requests.map((r) => r.status)).toEqual([200, 409]);
    const [key, again] = requests.map((r) => r.retryKey);
    expect(key).toMatch(UUID);
    expect(again).toBe(key as string);
    expect(bot.pushesTo(chat.userId)).toEqual([{ type: "text", text: "raw push" }]);
    // Both attempts resolved with what LINE sent, the second from the 409's body.
    const accepted = { sentMessages: bot.line.pushes.at(-1)?.sentMessages };
    expect(accepted.sentMessages).toHaveLength(1);
    expect(await bot.kv("raw-api").get(`results:${sent.webhookEventId}`)).toEqual([
      accepted,
      accepted,
    ]);
  });

  test("each send has its own key, per endpoint and call, and each comes back on the retry", async () => {
    const chat = freshUser();
    const sent = event.text("send everything then fail", { chat });
    await bot.deliver(sent);
    await bot.advance(1_200);
    expect(await delivery(sent.webhookEventId)).toMatchObject({ status: "done", attempts: 2 });

    // This chat's pushes and multicast, and the one broadcast of the suite.
    const sends = bot.line.requests.filter(
      (r) =>
        r.path === "/v2/bot/message/broadcast" ||
        (["/v2/bot/message/push", "/v2/bot/message/multicast"].includes(r.path) &&
          JSON.stringify(r.body).includes(chat.userId)),
    );
    const first = sends.slice(0, 4);
    const retry = sends.slice(4);
    expect(first.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(retry.map((r) => r.status)).toEqual([409, 409, 409, 409]);
    const keys = first.map((r) => r.retryKey);
    expect(new Set(keys).size).toBe(4);
    expect(retry.map((r) => r.retryKey)).toEqual(keys);
    // Sent once each.
    expect(bot.pushesTo(chat.userId)).toEqual([
      { type: "text", text: "first" },
      { type: "text", text: "second" },
    ]);
    const casts = bot.line.casts.filter((c) =>
      c.messages.some((m) => m.text === "to many" || m.text === "to all"),
    );
    expect(casts.map((c) => c.kind)).toEqual(["multicast", "broadcast"]);
    // pushMessageWithHttpInfo hands the 409 over as it came, naming the request LINE accepted.
    const [accepted, repeated] = (await bot
      .kv("raw-api")
      .get(`results:${sent.webhookEventId}`)) as Array<Record<string, unknown>>;
    expect(accepted).toMatchObject({ status: 200, acceptedRequestId: null });
    expect(repeated).toMatchObject({ status: 409, acceptedRequestId: accepted?.requestId });
    expect(accepted?.requestId).toBe(first[1]?.requestId);
  });
});

describe("raw sends outside a handler (a route)", () => {
  const push = async (to: string, words: string, key?: string) => {
    const response = await route("/push", JSON.stringify({ to, words, key }));
    expect(response.status).toBe(200);
    return (await response.json()) as { sentMessages: Array<{ id: string }> };
  };

  test("get a fresh key per call: the client's own retry of a lost answer is a 409, sent once", async () => {
    const to = freshUser().userId;
    api.loseNextAnswer((path) => path === "/v2/bot/message/push");
    const result = await push(to, "once");
    const requests = pushRequests(to);
    expect(requests.map((r) => r.status)).toEqual([200, 409]);
    expect(requests[0]?.retryKey).toMatch(UUID);
    expect(requests[1]?.retryKey).toBe(requests[0]?.retryKey as string);
    expect(bot.pushesTo(to)).toEqual([{ type: "text", text: "once" }]);
    expect(result.sentMessages).toEqual(bot.line.pushes.at(-1)?.sentMessages as never);

    // Calling again is a new send, with a key of its own.
    await push(to, "once");
    expect(pushRequests(to).map((r) => r.status)).toEqual([200, 409, 200]);
    expect(pushRequests(to)[2]?.retryKey).not.toBe(requests[0]?.retryKey as string);
    expect(bot.pushesTo(to)).toHaveLength(2);
  });

  test("a key the plugin passes is used as it is: its repeat is sent once", async () => {
    const to = freshUser().userId;
    const key = crypto.randomUUID();
    const first = await push(to, "mine", key);
    const second = await push(to, "mine", key);
    expect(pushRequests(to).map((r) => [r.status, r.retryKey])).toEqual([
      [200, key],
      [409, key],
    ]);
    expect(second).toEqual(first);
    expect(bot.pushesTo(to)).toEqual([{ type: "text", text: "mine" }]);
  });
});
