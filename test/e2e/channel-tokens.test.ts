/**
 * A channel whose access token hotline issues itself, through the whole bot and the LINE
 * stand-in: its replies, pushes and plugins' own calls go with an issued token of that channel,
 * a token LINE stops taking is renewed once and the call tried again, and an expired one is
 * replaced before it is used. No log line carries a token.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import pino from "pino";
import {
  createPluginsDir,
  event,
  startTestBot,
  type TestBot,
  user,
} from "../../src/dev/testing/mod.ts";

const PLUGIN = `
import { definePlugin } from "hotline";

export default definePlugin({
  name: "answer",
  on: {
    "message:text": async (event, ctx) => {
      if (event.message.text === "api") {
        const info = await ctx.api.getBotInfo();
        await ctx.reply({ type: "text", text: "api " + info.userId });
        return;
      }
      await ctx.reply({ type: "text", text: "re: " + event.message.text });
    },
  },
});
`;

const USER = "U1234567890abcdef1234567890abcdef";
const logged: string[] = [];
let bot: TestBot;
let scratch: ReturnType<typeof createPluginsDir>;

beforeAll(async () => {
  scratch = createPluginsDir();
  scratch.write("answer.ts", PLUGIN);
  bot = await startTestBot({
    pluginsDir: scratch.dir,
    channels: { stateless: { token: "stateless" }, assertion: { token: "v2.1" } },
    logger: pino({ level: "debug" }, { write: (line: string) => void logged.push(line) }),
  });
});

afterAll(async () => {
  await bot.stop();
  scratch.remove();
});

const replies = () =>
  bot.line.requests.filter((request) => request.path === "/v2/bot/message/reply");
const texts = (messages: unknown[]) => messages.map((m) => (m as { text: string }).text);

async function ask(channel: string, text: string) {
  const asked = event.text(text, { chat: user(USER) });
  const response = await bot.channels.send(channel, asked);
  expect(response.status).toBe(200);
  await bot.settle();
  return texts(bot.repliesTo(asked));
}

describe.each(["stateless", "assertion"])("a channel with %s tokens", (channel) => {
  test("answers with a token issued for it", async () => {
    expect(await ask(channel, "hi")).toEqual(["re: hi"]);
    expect(replies().at(-1)?.channel).toBe(channel);
    expect(bot.line.tokens.issued(channel)).toHaveLength(1);
  });

  test("a token LINE stops taking is renewed once, and the call made again", async () => {
    const [current] = bot.line.tokens.issued(channel);
    bot.line.tokens.revoke(current?.token as string);
    expect(await ask(channel, "again")).toEqual(["re: again"]);
    const statuses = replies()
      .slice(-2)
      .map((request) => request.status);
    expect(statuses).toEqual([401, 200]);
    expect(bot.line.tokens.issued(channel)).toHaveLength(1);
  });

  test("a plugin's own call through the host's proxy is renewed the same way", async () => {
    const [current] = bot.line.tokens.issued(channel);
    bot.line.tokens.revoke(current?.token as string);
    expect(await ask(channel, "api")).toEqual([`api ${bot.line.botUserId}`]);
    const info = bot.line.requests.filter((request) => request.path === "/v2/bot/info");
    expect(info.slice(-2).map((request) => [request.status, request.channel])).toEqual([
      [401, undefined],
      [200, channel],
    ]);
  });
});

test("an expired token is replaced before it is used", async () => {
  bot.line.tokens.lifetimes.stateless = 60;
  // The token held now lives on LINE's documented 15 minutes; the next one lives a minute.
  const [held] = bot.line.tokens.issued("stateless");
  bot.line.tokens.revoke(held?.token as string);
  await ask("stateless", "short");
  const short = bot.line.tokens.issued("stateless").at(-1);
  await bot.advance(61_000);
  expect(await ask("stateless", "later")).toEqual(["re: later"]);
  const fresh = bot.line.tokens.issued("stateless").at(-1);
  expect(fresh?.token).not.toBe(short?.token);
  // Replaced before the call: LINE never refused it.
  expect(replies().at(-1)?.status).toBe(200);
  expect(replies().at(-2)?.status).toBe(200);
});

test("no log line carries a token or a secret", () => {
  const text = logged.join("\n");
  expect(text.length).toBeGreaterThan(0);
  for (const name of ["stateless", "assertion"]) {
    expect(text).not.toContain(bot.channels.get(name).secret);
  }
  for (const issued of bot.line.tokens.issued()) expect(text).not.toContain(issued.token);
});
