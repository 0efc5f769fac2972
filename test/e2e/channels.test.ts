/**
 * Several LINE channels in one bot, against the LINE stand-in: each webhook takes its own
 * channel's signature only, answers go with that channel's token, state stays per channel, a
 * channel limited to some plugins never reaches the others, and channels come and go while the
 * bot runs.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  createPluginsDir,
  event,
  startTestBot,
  type TestBot,
  user,
} from "../../src/dev/testing/mod.ts";

const COUNTER = `
import { definePlugin, z } from "hotline";

export default definePlugin({
  name: "counter",
  session: { user: z.object({ seen: z.number().int() }).default({ seen: 0 }) },
  on: {
    "message:text": async (event, ctx) => {
      ctx.session.user.seen += 1;
      const text = event.message.text;
      if (text.startsWith("tell ")) {
        const [, channel, to] = text.split(" ");
        await ctx.push({ type: "text", text: "from " + ctx.channel.name }, { to, channel });
        return;
      }
      if (text === "fail") throw new Error("failing on purpose");
      if (text.startsWith("remember ")) {
        await ctx.kv.set("last", text.slice("remember ".length));
        return;
      }
      if (text === "menu") {
        const error = await ctx.richMenu.link(event.source.userId, "main").catch((e) => e);
        await ctx.reply({ type: "text", text: String(error?.message) });
        return;
      }
      if (text === "recall") {
        await ctx.reply({ type: "text", text: "recalled " + (await ctx.kv.get("last")) });
        return;
      }
      if (text === "api") {
        const info = await ctx.api.getBotInfo();
        await ctx.reply({ type: "text", text: "api " + info.userId });
        return;
      }
      if (text === "push") {
        await ctx.push({ type: "text", text: "pushed in " + ctx.channel.name });
        return;
      }
      await ctx.reply({
        type: "text",
        text: ctx.channel.name + " " + ctx.channel.botUserId + " " + ctx.session.user.seen,
      });
    },
  },
});
`;

const BYSTANDER = `
import { definePlugin } from "hotline";

export default definePlugin({
  name: "bystander",
  on: { "message:text": (event, ctx) => ctx.reply({ type: "text", text: "bystander" }) },
});
`;

const USER = "U1234567890abcdef1234567890abcdef";
const ADMIN_TOKEN = "a".repeat(40);
const OTHER_USER = "Ufedcba0987654321fedcba0987654321";

let bot: TestBot;
let scratch: ReturnType<typeof createPluginsDir>;

beforeAll(async () => {
  scratch = createPluginsDir();
  scratch.write("counter.ts", COUNTER);
  scratch.write("bystander.ts", BYSTANDER);
  bot = await startTestBot({
    pluginsDir: scratch.dir,
    channels: { shop: {}, support: { plugins: ["counter"] } },
    env: { ADMIN_TOKEN, MAX_ATTEMPTS: "1" },
  });
});

afterAll(async () => {
  await bot.stop();
  scratch.remove();
});

/** What the stand-in recorded of the bot's sends, with the channel whose token each bore. */
function sends(path: string) {
  return bot.line.requests.filter((request) => request.path === path && request.status === 200);
}

const texts = (messages: unknown[]) => messages.map((m) => (m as { text: string }).text);

async function sendTo(channel: string, ...events: object[]): Promise<void> {
  const response = await bot.channels.send(channel, ...events);
  expect(response.status).toBe(200);
  await bot.settle();
}

describe("webhooks", () => {
  test("each channel's webhook takes its own signature only", async () => {
    const body = JSON.stringify({ destination: "Ubot", events: [] });
    const shop = bot.channels.get("shop").secret;
    const support = bot.channels.get("support").secret;
    expect((await bot.channels.post("shop", body, shop)).status).toBe(200);
    expect((await bot.channels.post("shop", body, support)).status).toBe(401);
    expect((await bot.channels.post("support", body, shop)).status).toBe(401);
    expect((await bot.channels.post("support", body, bot.secret)).status).toBe(401);
    // The default channel stays at the webhook's path itself, with the environment's secret.
    expect((await bot.post(body)).status).toBe(200);
    expect((await bot.post(body, { signature: null })).status).toBe(401);
  });

  test("a channel no one configured is no route", async () => {
    const body = JSON.stringify({ events: [] });
    expect((await bot.channels.post("shop", body)).status).toBe(200);
    const response = await fetch(`${bot.webhookUrl}/nowhere`, { method: "POST", body });
    expect(response.status).toBe(404);
  });
});

describe("sending", () => {
  test("a reply goes with the event's channel's token, and the plugin sees its channel", async () => {
    const inShop = event.text("hi", { chat: user(USER) });
    await sendTo("shop", inShop);
    expect(texts(bot.repliesTo(inShop))).toContain(`shop ${bot.line.botUserId} 1`);
    const replies = sends("/v2/bot/message/reply");
    expect(replies.at(-1)?.channel).toBe("shop");
  });

  test("a push goes with the event's channel's token; another channel only when named", async () => {
    await sendTo("shop", event.text("push", { chat: user(USER) }));
    expect(sends("/v2/bot/message/push").at(-1)?.channel).toBe("shop");
    await sendTo("shop", event.text(`tell support ${OTHER_USER}`, { chat: user(USER) }));
    const push = sends("/v2/bot/message/push").at(-1);
    expect(push?.channel).toBe("support");
    expect(push?.body).toMatchObject({ to: OTHER_USER, messages: [{ text: "from shop" }] });
  });

  test("a plugin's own LINE calls for an event go with that event's channel's token", async () => {
    const asked = event.text("api", { chat: user(USER) });
    await sendTo("support", asked);
    expect(texts(bot.repliesTo(asked))).toEqual([`api ${bot.line.botUserId}`]);
    expect(sends("/v2/bot/info").at(-1)?.channel).toBe("support");
  });

  test("the same user id keeps separate state in each channel", async () => {
    const a = event.text("count", { chat: user(OTHER_USER) });
    const b = event.text("count", { chat: user(OTHER_USER) });
    const c = event.text("count", { chat: user(OTHER_USER) });
    await sendTo("support", a);
    await sendTo("support", b);
    await bot.deliver(c);
    expect(texts(bot.repliesTo(a)).at(-1)).toEndWith(" 1");
    expect(texts(bot.repliesTo(b)).at(-1)).toEndWith(" 2");
    // The default channel's user with the same id is someone else: first seen now.
    expect(texts(bot.repliesTo(c))).toContain(`default ${bot.line.botUserId} 1`);
  });

  test("a plugin's key-value store is its own in each channel", async () => {
    await sendTo("shop", event.text("remember for the shop", { chat: user(USER) }));
    await bot.deliver(event.text("remember for the default", { chat: user(USER) }));
    const inShop = event.text("recall", { chat: user(USER) });
    const inDefault = event.text("recall", { chat: user(USER) });
    await sendTo("shop", inShop);
    await bot.deliver(inDefault);
    expect(texts(bot.repliesTo(inShop))).toContain("recalled for the shop");
    expect(texts(bot.repliesTo(inDefault))).toContain("recalled for the default");
    expect(await bot.kv("counter").get("last")).toBe("for the default");
  });

  test("rich menus are per channel: another channel's link is that channel's to answer", async () => {
    // The counter declares no menu: shop's sync says so (test/rich-menus/channels.test.ts links).
    const asked = event.text("menu", { chat: user(USER) });
    await sendTo("shop", asked);
    expect(texts(bot.repliesTo(asked))).toContain(
      'plugin counter declares no rich menu "main" (it declares none)',
    );
  });

  test("the same webhookEventId in two channels is two events", async () => {
    const shared = "01HSAMEIDINBOTHCHANNELS000";
    const one = event.text("count", { chat: user(USER), webhookEventId: shared });
    const two = event.text("count", { chat: user(USER), webhookEventId: shared });
    await sendTo("shop", one);
    await sendTo("support", two);
    expect(bot.repliesTo(one).length).toBeGreaterThan(0);
    expect(bot.repliesTo(two).length).toBeGreaterThan(0);
    const stored = await bot.storedEvents();
    const ids = stored.map((record) => record.id).filter((id) => id.endsWith(shared));
    expect(ids.sort()).toEqual([`shop/${shared}`, `support/${shared}`]);
  });
});

describe("plugins per channel", () => {
  test("a channel limited to some plugins never reaches the others", async () => {
    const inSupport = event.text("hello", { chat: user(USER) });
    await sendTo("support", inSupport);
    expect(texts(bot.repliesTo(inSupport))).not.toContain("bystander");
    const deliveries = await bot.deliveries(`support/${inSupport.webhookEventId}`);
    expect(deliveries.map((d) => d.plugin)).toEqual(["counter"]);
    const inShop = event.text("hello", { chat: user(USER) });
    await sendTo("shop", inShop);
    expect(texts(bot.repliesTo(inShop))).toContain("bystander");
  });
});

describe("the admin API", () => {
  const admin = (path: string) =>
    fetch(`${bot.url}/admin${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });

  test("lists the channels served, with no secret or token", async () => {
    const response = await admin("/channels");
    const text = await response.text();
    expect(JSON.parse(text).channels).toEqual([
      { name: "default", webhookPath: "/webhook", plugins: null, token: "long-lived" },
      { name: "shop", webhookPath: "/webhook/shop", plugins: null, token: "long-lived" },
      {
        name: "support",
        webhookPath: "/webhook/support",
        plugins: ["counter"],
        token: "long-lived",
      },
    ]);
    for (const name of ["shop", "support"]) {
      const channel = bot.channels.get(name);
      expect(text).not.toContain(channel.secret);
      expect(text).not.toContain(channel.token as string);
    }
  });

  test("a dead letter names its channel", async () => {
    const failing = event.text("fail", { chat: user(USER) });
    await sendTo("support", failing);
    const { deliveries } = await (await admin("/deliveries/dead")).json();
    expect(deliveries).toContainEqual(
      expect.objectContaining({
        eventId: `support/${failing.webhookEventId}`,
        plugin: "counter",
        channel: "support",
      }),
    );
  });
});

describe("channels while running", () => {
  test("a channel added to the config file is served at once; a removed one no longer", async () => {
    const body = JSON.stringify({ events: [] });
    expect((await fetch(`${bot.webhookUrl}/popup`, { method: "POST", body })).status).toBe(404);
    await bot.channels.add("popup", { plugins: ["counter"] });
    const first = event.text("hi", { chat: user(USER) });
    await sendTo("popup", first);
    expect(texts(bot.repliesTo(first))).toContain(`popup ${bot.line.botUserId} 1`);
    expect(sends("/v2/bot/message/reply").at(-1)?.channel).toBe("popup");
    // The others were not touched: shop still answers.
    const inShop = event.text("still there?", { chat: user(USER) });
    await sendTo("shop", inShop);
    expect(bot.repliesTo(inShop).length).toBeGreaterThan(0);

    await bot.channels.remove("popup");
    const gone = await fetch(`${bot.webhookUrl}/popup`, { method: "POST", body });
    expect(gone.status).toBe(404);
  });
});
