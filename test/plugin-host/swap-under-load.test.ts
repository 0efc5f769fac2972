import { afterEach, expect, test } from "bun:test";
import { createPluginsDir, event, startTestBot, user } from "../../src/dev/testing/mod.ts";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const CHATS = Array.from({ length: 5 }, (_, i) => `U${String(i + 1).repeat(32)}`);

// Each handler takes a few milliseconds, so deliveries are in flight whenever a swap lands.
const counter = (version: number) => `import { definePlugin } from "hotline";
export default definePlugin({
  name: "counter",
  on: {
    "message:text": async (event, ctx) => {
      await new Promise((resolve) => setTimeout(resolve, 3));
      await ctx.reply("v${version} " + event.message.text);
    },
  },
});
`;

test("events sent while the plugin is swapped again and again are each handled exactly once", async () => {
  const plugins = createPluginsDir();
  cleanups.push(plugins.remove);
  plugins.write("counter.ts", counter(1));
  const bot = await startTestBot({ pluginsDir: plugins.dir, tuning: { watch: true } });
  cleanups.push(() => bot.stop());

  const sent: Array<ReturnType<typeof event.text>> = [];
  const postBatch = async () => {
    const batch = CHATS.map((chat) => event.text(`#${sent.length}-${chat}`, { chat: user(chat) }));
    sent.push(...batch);
    const response = await bot.send(...batch);
    expect(response.status).toBe(200);
  };

  // Each rewrite lands while batches keep coming: post until that version has taken over.
  for (let version = 2; version <= 5; version++) {
    let swapped = false;
    const loaded = bot
      .waitForPlugin((e) => e.type === "loaded" && e.name === "counter")
      .then(() => {
        swapped = true;
      });
    plugins.write("counter.ts", counter(version));
    do await postBatch();
    while (!swapped);
    await loaded;
  }
  while (sent.length < 100) await postBatch();
  await bot.settle();

  const versionsSeen = new Set<string>();
  const versionsByChat = new Map<string, number[]>();
  for (const ev of sent) {
    expect(await bot.deliveries(ev.webhookEventId)).toMatchObject([
      { plugin: "counter", status: "done", attempts: 1, lastError: null },
    ]);
    const replies = bot.line.replies.filter((r) => r.replyToken === ev.replyToken);
    expect(replies).toHaveLength(1);
    const [text] = (replies[0]?.messages ?? []).map((m) => String(m.text));
    expect(text).toMatch(new RegExp(`^v\\d ${ev.message.text}$`));
    const version = Number(text?.slice(1, 2));
    versionsSeen.add(`v${version}`);
    const chat = (ev.source as { userId: string }).userId;
    versionsByChat.set(chat, [...(versionsByChat.get(chat) ?? []), version]);
  }
  expect(bot.line.replies).toHaveLength(sent.length);
  expect(bot.line.pushes).toHaveLength(0);
  // The stream really spanned the swaps, and no chat went back to an older version.
  expect(versionsSeen.size).toBeGreaterThanOrEqual(4);
  for (const versions of versionsByChat.values())
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
});
