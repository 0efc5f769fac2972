import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createPluginsDir, event, startTestBot, type TestBot, user } from "hotline/testing";

// The reply of issue 17, written by hand (the builders would refuse to build it): accepted by the
// old stand-in, refused by LINE.
const OVERSIZED = `
import { definePlugin } from "hotline";

const items = Array.from({ length: 14 }, () => ({
  type: "action",
  action: { type: "postback", label: "l".repeat(45), data: "d".repeat(400) },
}));

export default definePlugin({
  name: "oversized",
  on: {
    "message:text": async (event, ctx) => {
      if (event.message.text === "push to bob") {
        await ctx.push("hi", { to: "bob" });
        return;
      }
      if (event.message.text === "push") {
        try {
          await ctx.push({ type: "text", text: "" });
        } catch {
          // Caught or not, a refused push fails the delivery for good.
        }
        return;
      }
      await ctx.reply({ type: "text", text: "pick one", quickReply: { items } });
    },
  },
});
`;

const POLITE = `
import { definePlugin } from "hotline";

export default definePlugin({
  name: "polite",
  on: { "message:text": (event, ctx) => ctx.reply("hello from polite") },
});
`;

let chats = 0;
const freshUser = () => user(`U${(++chats).toString(16).padStart(32, "0")}`);

describe("a plugin sending what LINE would refuse", () => {
  let bot: TestBot;
  const plugins = createPluginsDir();
  beforeAll(async () => {
    plugins.write("oversized.ts", OVERSIZED);
    plugins.write("polite.ts", POLITE);
    bot = await startTestBot({ pluginsDir: plugins.dir });
  });
  afterAll(async () => {
    await bot?.stop();
    plugins.remove();
  });

  test("nothing of it reaches LINE; the delivery is dead at once, the rule in its error", async () => {
    const sent = event.text("hi", { chat: freshUser() });
    await bot.deliver(sent);

    // The other plugin's reply still goes, alone.
    expect(bot.repliesTo(sent)).toEqual([{ type: "text", text: "hello from polite" }]);
    const sentTexts = bot.line.requests.map((request) => JSON.stringify(request.body));
    expect(sentTexts.some((body) => body.includes("pick one"))).toBe(false);

    const deliveries = await bot.deliveries(sent.webhookEventId);
    const oversized = deliveries.find((delivery) => delivery.plugin === "oversized");
    expect(oversized?.status).toBe("dead");
    expect(oversized?.attempts).toBe(1);
    expect(oversized?.lastError).toContain("plugin oversized");
    expect(oversized?.lastError).toContain("messages[0].quickReply.items: 14 > 13");
    expect(oversized?.lastError).toContain("messages[0].quickReply.items[0].action.label: 45 > 20");
    expect(oversized?.lastError).toContain(
      "messages[0].quickReply.items[0].action.data: 400 > 300",
    );

    // No retry is waiting: time passing sends nothing more.
    const before = bot.line.requests.length;
    await bot.advance(10 * 60_000);
    expect(bot.line.requests.length).toBe(before);
    expect(
      (await bot.deliveries(sent.webhookEventId)).find((d) => d.plugin === "oversized")?.attempts,
    ).toBe(1);
  });

  test("a push to something that is no user, group or room id is refused the same way", async () => {
    const sent = event.text("push to bob", { chat: freshUser() });
    await bot.deliver(sent);
    expect(bot.line.requests.filter((r) => r.path === "/v2/bot/message/push")).toEqual([]);
    const deliveries = await bot.deliveries(sent.webhookEventId);
    const oversized = deliveries.find((delivery) => delivery.plugin === "oversized");
    expect(oversized).toMatchObject({ status: "dead", attempts: 1 });
    expect(oversized?.lastError).toContain("to: not a user, group or room id");
  });

  test("a refused push fails its delivery for good, even when the handler catches it", async () => {
    const sent = event.text("push", { chat: freshUser() });
    await bot.deliver(sent);
    expect(bot.line.pushes).toEqual([]);
    const deliveries = await bot.deliveries(sent.webhookEventId);
    const oversized = deliveries.find((delivery) => delivery.plugin === "oversized");
    expect(oversized?.status).toBe("dead");
    expect(oversized?.lastError).toContain("messages[0].text: empty");
  });
});
