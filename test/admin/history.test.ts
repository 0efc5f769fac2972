import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  createPluginsDir,
  event,
  startTestBot,
  type TestBot,
  user,
} from "../../src/dev/testing/mod.ts";

const U1 = `U${"1".repeat(32)}`;
const U2 = `U${"2".repeat(32)}`;
const U3 = `U${"3".repeat(32)}`;
const TOKEN = "s3cret-admin-token-for-tests-0123456789";

const PLUGINS: Record<string, string> = {
  "replier.ts": `import { definePlugin } from "hotline";
export default definePlugin({
  name: "replier",
  on: { "message:text": async (event, ctx) => {
    if (event.message.text === "many") await ctx.reply("1", "2", "3", "4");
    else await ctx.reply("re: " + event.message.text);
  } },
});
`,
  "pusher.ts": `import { definePlugin } from "hotline";
export default definePlugin({
  name: "pusher",
  on: { "message:text": async (event, ctx) => {
    await ctx.reply("a", "b");
    await ctx.push("pushed: " + event.message.text);
  } },
});
`,
};

function dir() {
  const plugins = createPluginsDir();
  for (const [file, source] of Object.entries(PLUGINS)) plugins.write(file, source);
  return plugins;
}

interface ShownEvent {
  chatKey: string;
  event: { message: { text: string } };
  deliveries: Array<{ plugin: string; sent: unknown }>;
}
interface Answer {
  event: ShownEvent;
  events: ShownEvent[];
}

async function admin(bot: TestBot, path: string) {
  const response = await fetch(`${bot.url}/admin${path}`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  return { status: response.status, body: (await response.json()) as Answer };
}

describe("what each delivery sent, in the admin API", () => {
  const plugins = dir();
  let bot: TestBot;
  beforeAll(async () => {
    bot = await startTestBot({ pluginsDir: plugins.dir, env: { ADMIN_TOKEN: TOKEN } });
  });
  afterAll(async () => {
    await bot.stop();
    plugins.remove();
  });

  test("per event: each plugin's share of the merged reply, its overflow and its pushes", async () => {
    const many = event.text("many", { chat: user(U1) });
    await bot.deliver(many);
    const { status, body } = await admin(bot, `/events/${many.webhookEventId}`);
    expect(status).toBe(200);
    expect(body.event.chatKey).toBe(`user:${U1}`);
    expect(body.event.event.message.text).toBe("many");
    const byPlugin = Object.fromEntries(
      body.event.deliveries.map((d: { plugin: string; sent: unknown }) => [d.plugin, d.sent]),
    );
    const texts = (...values: string[]) => values.map((text) => ({ type: "text", text }));
    expect(byPlugin.replier).toEqual([{ via: "reply", messages: texts("1", "2", "3", "4") }]);
    expect(byPlugin.pusher).toEqual([
      { via: "reply", messages: texts("a", "b") },
      { via: "push", to: U1, messages: texts("pushed: many") },
    ]);
    // What LINE got is what was recorded: five in the reply, the sixth pushed, one push.
    const replied = bot.repliesTo(many);
    expect(replied).toHaveLength(5);
    expect(bot.pushesTo(U1)).toHaveLength(2);
  });

  test("per chat: events in timestamp order, filtered by time", async () => {
    const base = Date.now() - 60_000;
    const later = event.text("second", { chat: user(U2), timestamp: base + 2000 });
    const earlier = event.text("first", { chat: user(U2), timestamp: base + 1000 });
    await bot.deliver(later, earlier);
    const all = await admin(bot, `/chats/user:${U2}/events`);
    expect(all.status).toBe(200);
    expect(all.body.events.map((e) => e.event.message.text)).toEqual(["first", "second"]);
    const replier = all.body.events[0]?.deliveries.find((d) => d.plugin === "replier");
    expect(replier?.sent).toEqual([
      { via: "reply", messages: [{ type: "text", text: "re: first" }] },
    ]);
    const since = await admin(bot, `/chats/user:${U2}/events?since=${base + 1500}`);
    expect(since.body.events.map((e) => e.event.message.text)).toEqual(["second"]);
    const until = new Date(base + 1500).toISOString();
    const before = await admin(bot, `/chats/user:${U2}/events?until=${until}`);
    expect(before.body.events.map((e) => e.event.message.text)).toEqual(["first"]);
  });

  test("unknown events are 404, bad chat keys 400", async () => {
    expect((await admin(bot, "/events/nope")).status).toBe(404);
    expect((await admin(bot, "/chats/nobody/events")).status).toBe(400);
  });
});

describe("RECORD_SENT=false", () => {
  const plugins = dir();
  let bot: TestBot;
  beforeAll(async () => {
    bot = await startTestBot({
      pluginsDir: plugins.dir,
      env: { ADMIN_TOKEN: TOKEN, RECORD_SENT: "false" },
    });
  });
  afterAll(async () => {
    await bot.stop();
    plugins.remove();
  });

  test("sends as before and keeps no record of it", async () => {
    const hello = event.text("hello", { chat: user(U3) });
    await bot.deliver(hello);
    expect(bot.repliesTo(hello)).toHaveLength(3);
    const { body } = await admin(bot, `/events/${hello.webhookEventId}`);
    expect(body.event.deliveries.map((d: { sent: unknown }) => d.sent)).toEqual([null, null]);
  });
});
