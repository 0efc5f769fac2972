import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { RecordedRequest } from "../../src/dev/line-stand-in/mod.ts";
import {
  createPluginsDir,
  envelope,
  event,
  startTestBot,
  type TestBot,
  user,
} from "../../src/dev/testing/mod.ts";

function userOf(e: { source?: { userId?: string } }): string {
  if (!e.source?.userId) throw new Error("the event has no user");
  return e.source.userId;
}

/**
 * A plugin driven by the event's text: "alpha=3" makes alpha reply "alpha 1".."alpha 3";
 * "alpha-gate=7" makes it wait, before replying, until an event "open 7" (in any chat) has reached
 * it ("alpha-first-gate=7": on its first attempt only, "alpha-retry-gate=7": on later ones);
 * "alpha-first-after-gate=7" makes its first attempt wait there after replying; "alpha-fail=1"
 * makes its first attempt throw after replying.
 */
const replier = (name: string) => `
import { definePlugin } from "hotline";
const NAME = ${JSON.stringify(name)};
const option = (text, key) => Number(new RegExp("(?:^| )" + key + "=(\\\\d+)").exec(text)?.[1] ?? 0);
const gates = new Map();
const gate = (id) => {
  if (!gates.has(id)) {
    let open;
    const opened = new Promise((resolve) => { open = resolve; });
    gates.set(id, { opened, open });
  }
  return gates.get(id);
};
export default definePlugin({
  name: NAME,
  on: {
    "message:text": async (event, ctx) => {
      const text = event.message.text;
      if (text.startsWith("open ")) return gate(Number(text.slice(5))).open();
      const count = option(text, NAME);
      if (count === 0) return;
      const gateId = option(text, NAME + "-gate") || option(text, NAME + (ctx.attempt === 1 ? "-first-gate" : "-retry-gate"));
      // Bounded, so a test that fails to open the gate fails instead of hanging.
      const pass = (id) => Promise.race([gate(id).opened, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      if (gateId) await pass(gateId);
      await ctx.reply(...Array.from({ length: count }, (_, i) => NAME + " " + (i + 1)));
      const afterId = ctx.attempt === 1 ? option(text, NAME + "-first-after-gate") : 0;
      if (afterId) await pass(afterId);
      if (option(text, NAME + "-fail") && ctx.attempt === 1) throw new Error("failed after replying");
    },
  },
});
`;

/** Subscribes to standby events too, and tries to answer them. */
const WATCHER = `
import { definePlugin } from "hotline";
export default definePlugin({
  name: "watcher",
  standby: true,
  on: {
    "message:text": async (event, ctx) => {
      await ctx.kv.set(event.webhookEventId, event.mode);
      if (event.mode === "standby") await ctx.reply("a reply to a standby event");
    },
  },
});
`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const texts = (messages: unknown[]) => messages.map((m) => (m as { text: string }).text);
const isReply = (r: RecordedRequest) => r.path === "/v2/bot/message/reply";
const isPush = (r: RecordedRequest) => r.path === "/v2/bot/message/push";

let chats = 0;
const freshChat = () => user(`U${(++chats).toString(16).padStart(32, "b")}`);

async function startBot(
  env: Record<string, string> = {},
  options: { eventsInMemory?: number } = {},
) {
  const dir = createPluginsDir();
  dir.write("alpha.ts", replier("alpha"));
  dir.write("beta.ts", replier("beta"));
  dir.write("watcher.ts", WATCHER);
  const bot = await startTestBot({ pluginsDir: dir.dir, env, ...options });
  const stop = async () => {
    await bot.stop();
    dir.remove();
  };
  return { bot, stop };
}

function requestsFor(bot: TestBot, e: { replyToken?: string; source?: { userId?: string } }) {
  const to = userOf(e);
  return {
    replies: bot.line.requests.filter(
      (r) => isReply(r) && (r.body as { replyToken?: string }).replyToken === e.replyToken,
    ),
    pushes: bot.line.requests.filter((r) => isPush(r) && (r.body as { to?: string }).to === to),
  };
}

// One bot for merging and standby, with a deadline long enough that a loaded machine cannot make
// it split a batch; the deadline tests have their own bot, with a short one.
let bot: TestBot;
let stop: () => Promise<void>;
beforeAll(async () => ({ bot, stop } = await startBot({ REPLY_DEADLINE_MS: "5000" })));
afterAll(() => stop());

describe("reply merging", () => {
  test("two plugins replying to one event make one reply call carrying both", async () => {
    const e = event.text("alpha=1 beta=2", { chat: freshChat() });
    await bot.deliver(e);
    const { replies, pushes } = requestsFor(bot, e);
    expect(replies.map((r) => r.status)).toEqual([200]);
    expect(texts(bot.repliesTo(e)).sort()).toEqual(["alpha 1", "beta 1", "beta 2"]);
    expect(pushes).toEqual([]);
    expect((await bot.deliveries(e.webhookEventId)).map((d) => [d.plugin, d.status])).toEqual(
      expect.arrayContaining([
        ["alpha", "done"],
        ["beta", "done"],
      ]),
    );
  });

  test("over 5 messages: the first 5 are the reply, the rest are pushed with retry keys", async () => {
    const e = event.text("alpha=3 beta=4", { chat: freshChat() });
    await bot.deliver(e);
    const { replies, pushes } = requestsFor(bot, e);
    expect(replies.map((r) => r.status)).toEqual([200]);
    const replied = texts(bot.repliesTo(e));
    expect(replied).toHaveLength(5);
    expect(pushes.length).toBeGreaterThan(0);
    for (const push of pushes) {
      expect(push.status).toBe(200);
      expect(push.retryKey ?? "").toMatch(UUID);
    }
    const pushed = texts(bot.pushesTo(userOf(e)));
    expect(pushed).toHaveLength(2);
    // Every message went out exactly once, each plugin's in the order it gave them.
    const all = [...replied, ...pushed];
    expect([...all].sort()).toEqual([
      "alpha 1",
      "alpha 2",
      "alpha 3",
      "beta 1",
      "beta 2",
      "beta 3",
      "beta 4",
    ]);
    for (const name of ["alpha", "beta"]) {
      const own = all.filter((t) => t.startsWith(name));
      expect(own).toEqual([...own].sort());
    }
  });

  test("a token LINE does not know (expired, never issued) falls back to push", async () => {
    const e = event.text("alpha=1 beta=1", { chat: freshChat() });
    // bot.post, unlike bot.send, does not issue the token at the stand-in.
    expect((await bot.post(JSON.stringify(envelope([e])))).status).toBe(200);
    await bot.settle();
    const { replies, pushes } = requestsFor(bot, e);
    expect(replies.map((r) => r.status)).toEqual([400]);
    expect(bot.repliesTo(e)).toEqual([]);
    expect(pushes.every((p) => p.status === 200 && UUID.test(p.retryKey ?? ""))).toBe(true);
    expect(texts(bot.pushesTo(userOf(e))).sort()).toEqual(["alpha 1", "beta 1"]);
    expect((await bot.deliveries(e.webhookEventId)).every((d) => d.status === "done")).toBe(true);
  });

  test("a plugin that replies and then fails adds nothing to the reply; its retry pushes", async () => {
    const e = event.text("alpha=1 beta=1 beta-fail=1", { chat: freshChat() });
    await bot.deliver(e);
    expect(texts(bot.repliesTo(e))).toEqual(["alpha 1"]);
    expect(bot.pushesTo(userOf(e))).toEqual([]);

    await bot.advance(1_200);
    // The token went to alpha's reply: beta's retried reply can only be pushed.
    expect(texts(bot.repliesTo(e))).toEqual(["alpha 1"]);
    expect(texts(bot.pushesTo(userOf(e)))).toEqual(["beta 1"]);
    expect(requestsFor(bot, e).replies).toHaveLength(1);
  });

  test("a reply call that keeps failing with 5xx is not pushed: the delivery retries the reply", async () => {
    const e = event.text("alpha=1", { chat: freshChat() });
    // The bot's LINE client tries 4 times; each 500 may or may not have been acted on by LINE.
    bot.line.fault({ path: "/v2/bot/message/reply", status: 500, times: 4 });
    await bot.deliver(e);
    const alpha = async () =>
      (await bot.deliveries(e.webhookEventId)).find((d) => d.plugin === "alpha");
    expect(await alpha()).toMatchObject({ status: "retry", attempts: 1 });
    expect((await alpha())?.lastError).toContain("HTTP 500");
    expect(requestsFor(bot, e).pushes).toEqual([]);

    await bot.advance(1_200);
    expect(await alpha()).toMatchObject({ status: "done", attempts: 2 });
    expect(texts(bot.repliesTo(e))).toEqual(["alpha 1"]);
    expect(requestsFor(bot, e).pushes).toEqual([]);
  });

  test("when nobody used the token, a retried plugin's reply still goes as a reply", async () => {
    const e = event.text("beta=1 beta-fail=1", { chat: freshChat() });
    await bot.deliver(e);
    expect(requestsFor(bot, e).replies).toEqual([]);
    await bot.advance(1_200);
    expect(texts(bot.repliesTo(e))).toEqual(["beta 1"]);
    expect(bot.pushesTo(userOf(e))).toEqual([]);
  });
});

describe("standby", () => {
  test("standby events reach only plugins declaring standby, and nothing is replied", async () => {
    const chat = freshChat();
    const plain = event.text("alpha=1 beta=1", { chat, mode: "standby" });
    // Even if a standby event carried a reply token, it must not be used.
    const withToken = event.text("alpha=1 beta=1", {
      chat,
      mode: "standby",
      replyToken: "5f1b0e7a9c2d4b8e8f6a3c1d2e4b6a8c",
    });
    await bot.deliver(plain, withToken);

    for (const e of [plain, withToken]) {
      expect((await bot.deliveries(e.webhookEventId)).map((d) => [d.plugin, d.status])).toEqual([
        ["watcher", "done"],
      ]);
      expect(await bot.kv("watcher").get(e.webhookEventId)).toBe("standby");
    }
    expect(requestsFor(bot, withToken)).toEqual({ replies: [], pushes: [] });
    expect(bot.line.replies.filter((r) => r.replyToken === withToken.replyToken)).toEqual([]);
  });

  test("an active event still reaches every subscriber", async () => {
    const e = event.text("alpha=1", { chat: freshChat() });
    await bot.deliver(e);
    expect((await bot.deliveries(e.webhookEventId)).map((d) => d.plugin).sort()).toEqual([
      "alpha",
      "beta",
      "watcher",
    ]);
    expect(texts(bot.repliesTo(e))).toEqual(["alpha 1"]);
  });
});

describe("reply deadline", () => {
  let bot: TestBot;
  let stop: () => Promise<void>;
  beforeAll(async () => ({ bot, stop } = await startBot({ REPLY_DEADLINE_MS: "300" })));
  afterAll(() => stop());

  let gates = 0;
  /** Lets the plugins' handlers waiting at that gate go on, through an event in another chat. */
  const open = (gate: number) => bot.send(event.text(`open ${gate}`, { chat: freshChat() }));

  test("a slow plugin does not hold the others' reply: it goes at the deadline, the late one is pushed", async () => {
    const gate = ++gates;
    const e = event.text(`alpha=1 beta=1 beta-gate=${gate}`, { chat: freshChat() });
    expect((await bot.send(e)).status).toBe(200);

    // The reply goes out while beta is still held at its gate.
    expect(texts(await bot.waitForReply(e, 5000))).toEqual(["alpha 1"]);
    expect((await bot.deliveries(e.webhookEventId)).find((d) => d.plugin === "beta")?.status).toBe(
      "pending",
    );

    await open(gate);
    await bot.settle();
    const { replies, pushes } = requestsFor(bot, e);
    expect(replies).toHaveLength(1);
    expect(texts(bot.repliesTo(e))).toEqual(["alpha 1"]);
    expect(pushes.map((p) => p.status)).toEqual([200]);
    expect(pushes[0]?.retryKey ?? "").toMatch(UUID);
    expect(texts(bot.pushesTo(userOf(e)))).toEqual(["beta 1"]);
    expect((await bot.deliveries(e.webhookEventId)).every((d) => d.status === "done")).toBe(true);
  });

  test("a late reply pushed by a failed attempt is not pushed again when the retry is fast", async () => {
    const gate = ++gates;
    const e = event.text(`alpha=1 beta=1 beta-first-gate=${gate} beta-fail=1`, {
      chat: freshChat(),
    });
    expect((await bot.send(e)).status).toBe(200);
    expect(texts(await bot.waitForReply(e, 5000))).toEqual(["alpha 1"]);
    await open(gate);
    await bot.settle();
    expect(texts(bot.pushesTo(userOf(e)))).toEqual(["beta 1"]);

    // The retry replies at once, inside its batch this time; the token is used, so it is pushed:
    // with the same retry key as the late push, so LINE answers 409.
    await bot.advance(1_200);
    expect((await bot.deliveries(e.webhookEventId)).every((d) => d.status === "done")).toBe(true);
    expect(requestsFor(bot, e).pushes.map((p) => p.status)).toEqual([200, 409]);
    expect(texts(bot.pushesTo(userOf(e)))).toEqual(["beta 1"]);
  });

  test("a retry too late for its batch does not push what the failed attempt replied on the token", async () => {
    const [first, second] = [++gates, ++gates];
    // Both reply, wait at the first gate (the batch goes at the deadline, on the token), then fail.
    // On the retry, alpha replies at once; beta waits at the second gate, past the deadline.
    const e = event.text(
      `alpha=1 beta=1 alpha-first-after-gate=${first} beta-first-after-gate=${first} alpha-fail=1 beta-fail=1 beta-retry-gate=${second}`,
      { chat: freshChat() },
    );
    expect((await bot.send(e)).status).toBe(200);
    expect(texts(await bot.waitForReply(e, 5000)).sort()).toEqual(["alpha 1", "beta 1"]);
    await open(first);
    await bot.settle();
    const deliveries = await bot.deliveries(e.webhookEventId);
    expect(deliveries.map((d) => [d.plugin, d.status])).toEqual([
      ["alpha", "retry"],
      ["beta", "retry"],
      ["watcher", "done"],
    ]);

    // The retry's batch goes at the deadline with alpha's reply, refused: the token was used.
    bot.clock.advance(1_200);
    bot.hotline.dispatcher.wake();
    await bot.line.waitFor(() => requestsFor(bot, e).replies.length === 2);
    // beta's reply, too late for it, was also in the first attempt's reply: it is not pushed.
    await open(second);
    await bot.settle();
    // Pushed, "beta 1" would reach the user a second time: nothing tells LINE it was replied.
    expect(texts(bot.pushesTo(userOf(e)))).toEqual([]);
    expect(texts(bot.repliesTo(e)).sort()).toEqual(["alpha 1", "beta 1"]);
    const { replies, pushes } = requestsFor(bot, e);
    expect(replies.map((r) => r.status)).toEqual([200, 400, 400]);
    expect(pushes).toEqual([]);
    expect((await bot.deliveries(e.webhookEventId)).every((d) => d.status === "done")).toBe(true);
  });
});

describe("a backlog beyond the events kept in memory", () => {
  test("events read back from the inbox still wait for every plugin before the reply", async () => {
    const small = await startBot({ REPLY_DEADLINE_MS: "5000" }, { eventsInMemory: 1 });
    try {
      // beta waits for its gate, so alpha settles first: a batch that did not know beta was
      // still to come would flush without it, and beta's reply would be pushed.
      const events = Array.from({ length: 4 }, (_, i) =>
        event.text(`alpha=1 beta=1 beta-gate=${100 + i}`, { chat: freshChat() }),
      );
      expect((await small.bot.send(...events)).status).toBe(200);
      expect(
        (await small.bot.send(...events.map((_, i) => event.text(`open ${100 + i}`)))).status,
      ).toBe(200);
      await small.bot.settle();
      for (const e of events) {
        const { replies, pushes } = requestsFor(small.bot, e);
        expect(replies.map((r) => r.status)).toEqual([200]);
        expect(pushes).toEqual([]);
        expect(texts(small.bot.repliesTo(e)).sort()).toEqual(["alpha 1", "beta 1"]);
        expect((await small.bot.deliveries(e.webhookEventId)).map((d) => d.status)).toEqual([
          "done",
          "done",
          "done",
        ]);
      }
    } finally {
      await small.stop();
    }
  });
});
