import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  createPluginsDir,
  event,
  startTestBot,
  type TestBot,
  user,
} from "../../src/dev/testing/mod.ts";

// Both count their runs per event in KV; what "flaky" does depends on the text.
const FLAKY = `
import { definePlugin } from "hotline";
export default definePlugin({
  name: "flaky",
  on: {
    "message:text": async (event, ctx) => {
      const key = "runs:" + event.webhookEventId;
      await ctx.kv.set(key, ((await ctx.kv.get(key)) ?? 0) + 1);
      const text = event.message.text;
      if (text === "fail once" && ctx.attempt === 1) throw new Error("flaky failure on attempt 1");
      if (text === "always fail") throw new Error("always broken");
      if (text.startsWith("push")) {
        await ctx.push("first push");
        if (text === "push twice") await ctx.push(["second push", "third"]);
        if (ctx.attempt === 1) throw new Error("failed after pushing");
      }
    },
  },
});
`;

const STEADY = `
import { definePlugin } from "hotline";
export default definePlugin({
  name: "steady",
  on: {
    "message:text": async (event, ctx) => {
      const key = "runs:" + event.webhookEventId;
      await ctx.kv.set(key, ((await ctx.kv.get(key)) ?? 0) + 1);
    },
  },
});
`;

const MAX_ATTEMPTS = 3;
let bot: TestBot;
const dir = createPluginsDir();
beforeAll(async () => {
  dir.write("flaky.ts", FLAKY);
  dir.write("steady.ts", STEADY);
  bot = await startTestBot({
    pluginsDir: dir.dir,
    env: { MAX_ATTEMPTS: String(MAX_ATTEMPTS) },
    // Failures here are the subject; the circuit breaker has its own tests.
    tuning: { breaker: { threshold: 1000, cooldownMs: 1000 } },
  });
});
afterAll(async () => {
  await bot.stop();
  dir.remove();
});

let chats = 0;
/** A fresh 1:1 chat per test, so no test's lane waits behind another test's events. */
const freshChat = () => user(`U${(++chats).toString(16).padStart(32, "a")}`);

async function runs(plugin: string, eventId: string): Promise<number> {
  return (await bot.kv(plugin).get<number>(`runs:${eventId}`)) ?? 0;
}

async function delivery(eventId: string, plugin: string) {
  const row = (await bot.deliveries(eventId)).find((d) => d.plugin === plugin);
  if (!row) throw new Error(`no delivery of ${eventId} to ${plugin}`);
  return row;
}

async function eventStatus(eventId: string): Promise<string | undefined> {
  return (await bot.storedEvents([eventId]))[0]?.status;
}

describe("retries", () => {
  test("a failed delivery is retried after its backoff, and only the plugin that failed reruns", async () => {
    const e = event.text("fail once", { chat: freshChat() });
    await bot.deliver(e);

    const failed = await delivery(e.webhookEventId, "flaky");
    expect(failed).toMatchObject({
      status: "retry",
      attempts: 1,
      lastError: "flaky failure on attempt 1",
    });
    // Backoff is 1 s ± 20% on the bot's clock, which has not moved.
    expect(failed.nextAttemptAt - bot.clock.now()).toBeGreaterThanOrEqual(800);
    expect(failed.nextAttemptAt - bot.clock.now()).toBeLessThanOrEqual(1200);
    expect(await delivery(e.webhookEventId, "steady")).toMatchObject({
      status: "done",
      attempts: 1,
    });
    expect(await eventStatus(e.webhookEventId)).toBe("active");

    // Not due yet: nothing reruns.
    await bot.advance(700);
    expect(await runs("flaky", e.webhookEventId)).toBe(1);

    await bot.advance(500);
    expect(await delivery(e.webhookEventId, "flaky")).toMatchObject({
      status: "done",
      attempts: 2,
      lastError: null,
    });
    expect(await runs("flaky", e.webhookEventId)).toBe(2);
    expect(await runs("steady", e.webhookEventId)).toBe(1);
    expect((await delivery(e.webhookEventId, "steady")).attempts).toBe(1);
    expect(await eventStatus(e.webhookEventId)).toBe("done");
  });

  test("a plugin that always fails is dead-lettered after MAX_ATTEMPTS, with its error", async () => {
    const e = event.text("always fail", { chat: freshChat() });
    await bot.deliver(e);
    for (let i = 0; i < MAX_ATTEMPTS + 2; i++) await bot.advance(60_000);

    expect(await delivery(e.webhookEventId, "flaky")).toMatchObject({
      status: "dead",
      attempts: MAX_ATTEMPTS,
      lastError: "always broken",
    });
    expect(await runs("flaky", e.webhookEventId)).toBe(MAX_ATTEMPTS);
    expect(await runs("steady", e.webhookEventId)).toBe(1);
    expect(await eventStatus(e.webhookEventId)).toBe("done");
  });

  test("a failing plugin holds back only its own next event in the chat, not other plugins'", async () => {
    const chat = freshChat();
    const now = Date.now();
    const first = event.text("always fail", { chat, timestamp: now });
    const second = event.text("fine", { chat, timestamp: now + 1 });
    await bot.deliver(first, second);

    // steady handled both events at once; flaky keeps the chat's order and waits on its retry.
    expect((await delivery(first.webhookEventId, "steady")).status).toBe("done");
    expect((await delivery(second.webhookEventId, "steady")).status).toBe("done");
    expect(await delivery(first.webhookEventId, "flaky")).toMatchObject({
      status: "retry",
      attempts: 1,
    });
    expect(await delivery(second.webhookEventId, "flaky")).toMatchObject({
      status: "pending",
      attempts: 0,
    });

    // Once the first is dead-lettered, flaky moves on to the second.
    for (let i = 0; i < MAX_ATTEMPTS; i++) await bot.advance(60_000);
    expect((await delivery(first.webhookEventId, "flaky")).status).toBe("dead");
    expect(await delivery(second.webhookEventId, "flaky")).toMatchObject({
      status: "done",
      attempts: 1,
    });
  });
});

describe("retry keys", () => {
  const pushRequests = (to: string) =>
    bot.line.requests.filter(
      (r) => r.path === "/v2/bot/message/push" && (r.body as { to?: string }).to === to,
    );

  test("a push repeated by a retried delivery gets 409 and reaches the chat once", async () => {
    const chat = freshChat();
    const e = event.text("push once", { chat });
    await bot.deliver(e);
    expect((await delivery(e.webhookEventId, "flaky")).status).toBe("retry");
    await bot.advance(1_200);
    expect(await delivery(e.webhookEventId, "flaky")).toMatchObject({
      status: "done",
      attempts: 2,
    });

    const requests = pushRequests(chat.userId);
    expect(requests.map((r) => r.status)).toEqual([200, 409]);
    const [key, again] = requests.map((r) => r.headers["x-line-retry-key"]);
    expect(key).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(again).toBe(key);
    expect(bot.pushesTo(chat.userId)).toEqual([{ type: "text", text: "first push" }]);
  });

  test("each push of a handler has its own key, and each is stable across the retry", async () => {
    const chat = freshChat();
    const e = event.text("push twice", { chat });
    await bot.deliver(e);
    await bot.advance(1_200);
    expect((await delivery(e.webhookEventId, "flaky")).status).toBe("done");

    const requests = pushRequests(chat.userId);
    expect(requests.map((r) => r.status)).toEqual([200, 200, 409, 409]);
    const keys = requests.map((r) => r.headers["x-line-retry-key"]);
    expect(keys[0]).not.toBe(keys[1]);
    expect(keys.slice(2)).toEqual(keys.slice(0, 2));
    expect(bot.pushesTo(chat.userId)).toEqual([
      { type: "text", text: "first push" },
      { type: "text", text: "second push" },
      { type: "text", text: "third" },
    ]);
  });
});
