/**
 * Who answers: a command word two plugins declare goes to the higher priority; fallbacks run only
 * when nothing claimed the event, and only the highest priority's; an event's merged reply puts
 * higher priorities first.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import pino from "pino";
import {
  createPluginsDir,
  event,
  room,
  startTestBot,
  type TestBot,
  user,
} from "../../src/dev/testing/mod.ts";

/** A plugin that answers `ping` and, as a fallback, any text. */
const pinger = (name: string, priority: number) => `
import { definePlugin, fallback } from "hotline";
export default definePlugin({
  name: "${name}",
  priority: ${priority},
  commands: { ping: { description: "answers", handle: (a, e, ctx) => ctx.reply("${name}: pong") } },
  on: { "message:text": fallback((e, ctx) => ctx.reply("${name}: fallback")) },
});
`;

const PLUGINS: Record<string, string> = {
  "keen.ts": pinger("keen", 5),
  "calm.ts": pinger("calm", 0),
  // Claims every text in rooms: the fallbacks never see those.
  "watcher.ts": `
import { definePlugin } from "hotline";
export default definePlugin({
  name: "watcher",
  chats: ["room"],
  on: { "message:text": (e, ctx) => ctx.reply("watcher saw it") },
});
`,
  // Both answer stickers; the higher priority's reply comes first though it answers later.
  "slow-high.ts": `
import { definePlugin } from "hotline";
export default definePlugin({
  name: "slow-high",
  priority: 10,
  on: { "message:sticker": async (e, ctx) => { await new Promise((r) => setTimeout(r, 100)); await ctx.reply("high"); } },
});
`,
  "fast-low.ts": `
import { definePlugin } from "hotline";
export default definePlugin({
  name: "fast-low",
  priority: -10,
  on: { "message:sticker": (e, ctx) => ctx.reply("low") },
});
`,
};

let bot: TestBot;
const lines: Array<{ level: number; msg: string }> = [];
const dir = createPluginsDir();
beforeAll(async () => {
  for (const [file, source] of Object.entries(PLUGINS)) dir.write(file, source);
  const logger = pino({ level: "warn" }, { write: (line) => lines.push(JSON.parse(line)) });
  bot = await startTestBot({ pluginsDir: dir.dir, logger });
});
afterAll(async () => {
  await bot.stop();
  dir.remove();
});

const texts = (sent: { replyToken?: string }) =>
  (bot.repliesTo(sent) as Array<{ text?: string }>).map((m) => m.text);
const routedTo = async (sent: { webhookEventId: string }) =>
  (await bot.deliveries(sent.webhookEventId)).map((d) => d.plugin).sort();

test("a command word two plugins declare goes to the higher priority, as the log said at load", async () => {
  const ping = event.text("ping", { chat: user() });
  await bot.deliver(ping);
  expect(texts(ping)).toEqual(["keen: pong"]);
  expect(await routedTo(ping)).toEqual(["keen"]);
  expect(lines).toContainEqual(
    expect.objectContaining({
      level: 40,
      word: "ping",
      winner: "keen",
      loser: "calm",
      msg: expect.stringContaining('command "ping" is declared by keen and calm'),
    }),
  );
});

test("only the highest priority's fallback runs", async () => {
  const hello = event.text("hello", { chat: user() });
  await bot.deliver(hello);
  expect(texts(hello)).toEqual(["keen: fallback"]);
  expect(await routedTo(hello)).toEqual(["keen"]);
});

test("a claiming handler keeps every fallback out", async () => {
  const hello = event.text("hello", { chat: room() });
  await bot.deliver(hello);
  expect(texts(hello)).toEqual(["watcher saw it"]);
  expect(await routedTo(hello)).toEqual(["watcher"]);
  // A command still goes to its plugin, and the claiming handler still gets the text too.
  const ping = event.text("@Hotline ping", {
    chat: room(),
    mention: [{ at: "@Hotline", isSelf: true }],
  });
  await bot.deliver(ping);
  expect(await routedTo(ping)).toEqual(["keen", "watcher"]);
});

test("an event's merged reply puts the higher priority first", async () => {
  const sticker = event.sticker();
  await bot.deliver(sticker);
  expect(texts(sticker)).toEqual(["high", "low"]);
});

test("the plugins' status shows priority, commands and fallbacks", () => {
  const keen = bot.hotline.plugins.statuses().find((status) => status.name === "keen");
  expect(keen).toMatchObject({
    priority: 5,
    subscriptions: ["message:text"],
    fallbacks: ["message:text"],
    commands: [{ name: "ping", aliases: [], description: "answers", mention: true, args: false }],
    postbacks: [],
  });
});
