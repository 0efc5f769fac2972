import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { LineStandIn, monthlyLimitFault } from "../../src/dev/line-stand-in/mod.ts";
import {
  createPluginsDir,
  event,
  startTestBot,
  type TestBot,
  user,
} from "../../src/dev/testing/mod.ts";

const ADMIN = "cost-control-admin-token-0123456789abcdef";
const PUSH = "/v2/bot/message/push";

/**
 * Acts on texts that start with its name: "<name> reply N" replies N messages, "<name> push N"
 * pushes N, "<name> api" pushes one through `ctx.api` (the host's proxy) and replies how it went.
 * Its settings schema is strict: `pushPolicy` must never reach it.
 */
const talker = (name: string) => `
import { definePlugin, z } from "hotline";
export default definePlugin({
  name: ${JSON.stringify(name)},
  settings: z.strictObject({ tag: z.string().default(${JSON.stringify(name)}) }),
  on: {
    "message:text": async (event, ctx) => {
      const [who, verb, n] = event.message.text.split(" ");
      if (who !== ${JSON.stringify(name)}) return;
      const messages = Array.from({ length: Number(n ?? 1) }, (_, i) => ctx.settings.tag + " " + (i + 1));
      if (verb === "reply") await ctx.reply(...messages);
      if (verb === "push") await ctx.push(...messages);
      if (verb === "api") {
        try {
          await ctx.api.pushMessage({ to: event.source.userId, messages: [{ type: "text", text: "api" }] });
          await ctx.reply("api: sent");
        } catch (error) {
          await ctx.reply("api: " + error.status + " " + error.body);
        }
      }
    },
  },
});
`;

const dir = createPluginsDir();
for (const name of ["thrifty", "budgeted", "free"]) dir.write(`${name}.ts`, talker(name));
const settings = {
  thrifty: { pushPolicy: "reply-only" },
  budgeted: { pushPolicy: { monthlyBudget: 2 }, tag: "b" },
  free: { pushPolicy: "allow" },
};

let chats = 0;
const text = (body: string, options: { replyToken?: null } = {}) =>
  event.text(body, { chat: user(`U${(++chats).toString(16).padStart(32, "c")}`), ...options });

let bot: TestBot;
beforeAll(async () => {
  const line = new LineStandIn({ channelAccessToken: "cost-token", monthlyQuota: 1000 });
  bot = await startTestBot({ pluginsDir: dir.dir, settings, line, env: { ADMIN_TOKEN: ADMIN } });
});
afterAll(async () => {
  await bot.stop();
  dir.remove();
});
afterEach(() => bot.line.reset());

// biome-ignore lint/suspicious/noExplicitAny: the admin API's JSON, read loosely
async function admin(path: string, method = "GET"): Promise<{ status: number; body: any }> {
  const response = await fetch(`${bot.url}/admin${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}` },
  });
  return { status: response.status, body: await response.json() };
}

async function deliveryOf(eventId: string, plugin: string) {
  const records = await bot.hotline.store.deliveriesOf(eventId);
  return records.find((record) => record.plugin === plugin);
}

async function metric(name: string, labels: string): Promise<number> {
  const body = await (await fetch(`${bot.url}/metrics`)).text();
  const line = body.split("\n").find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(" ").at(-1)) : 0;
}

const pushRequests = () => bot.line.requests.filter((r) => r.path === PUSH);
const texts = (messages: unknown[]) => messages.map((m) => (m as { text: string }).text);

describe("pushPolicy: reply-only", () => {
  test("a reply without a reply token is dropped, never pushed; the delivery succeeds", async () => {
    const e = text("thrifty reply 1", { replyToken: null });
    await bot.deliver(e);
    expect(pushRequests()).toEqual([]);
    expect((await deliveryOf(e.webhookEventId, "thrifty"))?.status).toBe("done");
  });

  test("what overflows the reply's five messages is dropped, not pushed", async () => {
    const e = text("thrifty reply 7");
    await bot.deliver(e);
    expect(bot.repliesTo(e)).toHaveLength(5);
    expect(pushRequests()).toEqual([]);
  });

  test("an explicit push is refused: dead-lettered with why, nothing reaches LINE", async () => {
    const e = text("thrifty push 1");
    await bot.deliver(e);
    const record = await deliveryOf(e.webhookEventId, "thrifty");
    expect(record?.status).toBe("dead");
    expect(record?.lastError).toContain("reply-only");
    expect(pushRequests()).toEqual([]);
  });

  test("a push through ctx.api is refused by the proxy with a 403", async () => {
    const e = text("thrifty api");
    await bot.deliver(e);
    expect(pushRequests()).toEqual([]);
    const [answer] = texts(bot.repliesTo(e));
    expect(answer).toStartWith("api: 403");
    expect(answer).toContain("reply-only");
    const labels = 'channel="default",plugin="thrifty",reason="reply-only"';
    expect(await metric("hotline_pushes_withheld_total", labels)).toBe(4);
  });

  test("the same replies go by push for a plugin that allows it", async () => {
    const e = text("free reply 1", { replyToken: null });
    await bot.deliver(e);
    expect(
      texts(pushRequests().flatMap((r) => (r.body as { messages: unknown[] }).messages)),
    ).toEqual(["free 1"]);
  });
});

describe("pushPolicy: a monthly budget", () => {
  test("pushes stop at the budget, also after a restart; /admin/quota counts them", async () => {
    await bot.deliver(text("budgeted push 1"));
    await bot.deliver(text("budgeted api"));
    expect(pushRequests()).toHaveLength(2);
    const over = text("budgeted push 1");
    await bot.deliver(over);
    expect(pushRequests()).toHaveLength(2);
    const record = await deliveryOf(over.webhookEventId, "budgeted");
    expect(record?.status).toBe("dead");
    expect(record?.lastError).toContain("monthly push budget of 2 reached");
    // Replies that cannot go as replies are dropped past the budget, not dead-lettered.
    const late = text("budgeted reply 1", { replyToken: null });
    await bot.deliver(late);
    expect((await deliveryOf(late.webhookEventId, "budgeted"))?.status).toBe("done");

    await bot.restart();
    await bot.deliver(text("budgeted push 1"));
    expect(pushRequests()).toHaveLength(2);
    const { body } = await admin("/quota");
    const channel = body.channels.find((c: { channel: string }) => c.channel === "default");
    expect(channel.sent.plugins.budgeted).toEqual({ replies: 1, pushes: 2 });
  });
});

describe("LINE's monthly limit", () => {
  test("is not retried, dead-letters the delivery, pauses pushes until an operator resumes", async () => {
    bot.line.fault(monthlyLimitFault(1));
    const first = text("free push 1");
    await bot.deliver(first);
    expect(pushRequests().map((r) => r.status)).toEqual([429]);
    const record = await deliveryOf(first.webhookEventId, "free");
    expect(record?.status).toBe("dead");
    expect(record?.lastError).toContain("You have reached your monthly limit.");
    expect(await metric("hotline_line_monthly_limit_total", 'channel="default"')).toBe(1);
    expect(await metric("hotline_pushes_paused", 'channel="default"')).toBe(1);

    // Paused: the next push does not reach LINE; replies still go.
    const second = text("free push 1");
    await bot.deliver(second);
    expect(pushRequests()).toHaveLength(1);
    expect((await deliveryOf(second.webhookEventId, "free"))?.lastError).toContain("pushes paused");
    const reply = text("free reply 1");
    await bot.deliver(reply);
    expect(texts(bot.repliesTo(reply))).toEqual(["free 1"]);
    const paused = await admin("/quota");
    expect(paused.body.channels[0].paused.reason).toContain("monthly limit");

    expect(await admin("/quota/default/resume", "POST")).toEqual({
      status: 200,
      body: { channel: "default", resumed: true },
    });
    expect((await admin("/quota")).body.channels[0].paused).toBeNull();
    const retry = await fetch(`${bot.url}/admin/deliveries/dead/retry`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
      body: JSON.stringify({ plugin: "free" }),
    });
    expect(retry.status).toBe(200);
    await bot.settle();
    expect(pushRequests().map((r) => r.status)).toEqual([429, 200, 200]);
  });

  test("the pause outlives a restart and ends with the month", async () => {
    bot.line.fault(monthlyLimitFault(1));
    await bot.deliver(text("free push 1"));
    await bot.restart();
    await bot.deliver(text("free push 1"));
    expect(pushRequests()).toHaveLength(1);
    // LINE's month (Asia/Tokyo) ends within 32 days.
    await bot.advance(32 * 24 * 3_600_000);
    await bot.deliver(text("free push 1"));
    expect(pushRequests().map((r) => r.status)).toEqual([429, 200]);
  });
});

describe("/admin/quota", () => {
  test("shows LINE's quota and consumption beside what hotline sent, per plugin", async () => {
    const before = (await admin("/quota")).body;
    const used = before.channels[0].line.consumption.totalUsage;
    await bot.deliver(text("free push 2"));
    await bot.deliver(text("free reply 1"));
    const { status, body } = await admin("/quota");
    expect(status).toBe(200);
    expect(body.month).toMatch(/^\d{4}-\d{2}$/);
    expect(body.timeZone).toBe("Asia/Tokyo");
    const [channel] = body.channels;
    expect(channel.channel).toBe("default");
    expect(channel.line.quota).toEqual({ type: "limited", value: 1000 });
    expect(channel.line.consumption.totalUsage).toBe(used + 1);
    const free = before.channels[0].sent.plugins.free ?? { replies: 0, pushes: 0 };
    expect(channel.sent.plugins.free).toEqual({
      replies: free.replies + 1,
      pushes: free.pushes + 1,
    });
    expect(channel.sent.pushes).toBe(before.channels[0].sent.pushes + 1);
    const labels = 'channel="default",plugin="free",kind="push"';
    expect(await metric("hotline_messages_sent_this_month", labels)).toBe(free.pushes + 1);
  });

  test("needs the admin token", async () => {
    const response = await fetch(`${bot.url}/admin/quota`);
    expect(response.status).toBe(401);
  });
});

describe("pushPolicy in the settings", () => {
  test("a value that is no policy fails the plugin's load, naming it", async () => {
    const bad = createPluginsDir();
    bad.write("x.ts", talker("x"));
    const other = await startTestBot({
      pluginsDir: bad.dir,
      settings: { x: { pushPolicy: "never" } },
    });
    try {
      const [status] = other.hotline.plugins.statuses();
      expect(status?.state).toBe("failed");
      expect(status?.error).toContain("pushPolicy");
    } finally {
      await other.stop();
      bad.remove();
    }
  });
});

/** A channel in `/admin/quota`, as these tests read it. */
interface QuotaChannel {
  channel: string;
  line: { quota?: unknown };
  paused: { reason: string } | null;
  sent: { plugins: Record<string, { replies: number; pushes: number }> };
}

describe("per channel", () => {
  let multi: TestBot;
  beforeAll(async () => {
    const line = new LineStandIn({ channelAccessToken: "cost-token-2", monthlyQuota: 1000 });
    multi = await startTestBot({
      pluginsDir: dir.dir,
      settings,
      line,
      channels: { shop: {} },
      env: { ADMIN_TOKEN: ADMIN },
    });
  });
  afterAll(() => multi.stop());

  async function inShop(body: string): Promise<string> {
    const e = text(body);
    expect((await multi.channels.send("shop", e)).status).toBe(200);
    await multi.settle();
    return `shop/${e.webhookEventId}`;
  }
  const pushesIn = (channel: string) =>
    multi.line.requests.filter(
      (r) => r.path === PUSH && (r.channel === "shop") === (channel === "shop"),
    );
  async function quota() {
    const response = await fetch(`${multi.url}/admin/quota`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    const body = (await response.json()) as { channels: QuotaChannel[] };
    return Object.fromEntries(body.channels.map((c) => [c.channel, c]));
  }
  const resume = async (channel: string) =>
    (
      await fetch(`${multi.url}/admin/quota/${channel}/resume`, {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN}` },
      })
    ).json();

  test("each channel counts its own pushes against the budget, and pauses on its own limit", async () => {
    // The budget of 2 is spent in shop; the default channel's count is its own.
    await inShop("budgeted push 1");
    await inShop("budgeted push 1");
    const over = await inShop("budgeted push 1");
    const refused = (await multi.hotline.store.deliveriesOf(over)).find(
      (d) => d.plugin === "budgeted",
    );
    expect(refused?.lastError).toContain("monthly push budget of 2 reached");
    await multi.deliver(text("budgeted push 1"));
    expect(pushesIn("shop").map((r) => r.status)).toEqual([200, 200]);
    expect(pushesIn("default").map((r) => r.status)).toEqual([200]);

    // LINE's monthly limit in shop pauses shop's pushes only.
    multi.line.fault(monthlyLimitFault(1));
    await inShop("free push 1");
    await inShop("free push 1");
    await multi.deliver(text("free push 1"));
    expect(pushesIn("shop").map((r) => r.status)).toEqual([200, 200, 429]);
    expect(pushesIn("default").map((r) => r.status)).toEqual([200, 200]);
    // A push through the proxy (ctx.api) in shop meets shop's pause, in default none.
    const api = text("free api");
    expect((await multi.channels.send("shop", api)).status).toBe(200);
    await multi.settle();
    const [answer] = texts(multi.repliesTo(api));
    expect(answer).toStartWith("api: 403");
    expect(answer).toContain("pushes paused");
    expect(pushesIn("shop")).toHaveLength(3);

    const channels = await quota();
    expect(Object.keys(channels).sort()).toEqual(["default", "shop"]);
    expect(channels.shop?.paused?.reason).toContain("monthly limit");
    expect(channels.default?.paused).toBeNull();
    expect(channels.shop?.sent.plugins.budgeted).toEqual({ replies: 0, pushes: 2 });
    expect(channels.default?.sent.plugins.budgeted).toEqual({ replies: 0, pushes: 1 });
    expect(channels.shop?.sent.plugins.free?.pushes).toBe(0);
    expect(channels.default?.sent.plugins.free?.pushes).toBe(1);
    // LINE's numbers come from each channel's own client (its token).
    expect(channels.shop?.line.quota).toEqual({ type: "limited", value: 1000 });
    const quotaCalls = multi.line.requests.filter((r) => r.path === "/v2/bot/message/quota");
    expect(quotaCalls.map((r) => r.channel === "shop").sort()).toEqual([false, true]);

    expect(await resume("default")).toEqual({ channel: "default", resumed: false });
    expect(await resume("shop")).toEqual({ channel: "shop", resumed: true });
    await inShop("free push 1");
    expect(pushesIn("shop").map((r) => r.status)).toEqual([200, 200, 429, 200]);
  });
});
