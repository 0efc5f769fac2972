import { afterAll, beforeAll, expect, test } from "bun:test";
import {
  createPluginsDir,
  event,
  startTestBot,
  type TestBot,
  user,
} from "../../src/dev/testing/mod.ts";

const TOKEN = "s3cret-admin-token-for-tests-0123456789";
const PERSON = `U${"c".repeat(32)}`;

const plugins = createPluginsDir();
plugins.write(
  "greeter.ts",
  `import { definePlugin } from "hotline";
export default definePlugin({
  name: "greeter",
  on: { "message:text": async (event, ctx) => { await ctx.reply("hello " + event.message.text); } },
});
`,
);
// The next version: answers differently, pushes, writes its state, and crashes on "crash".
plugins.write(
  "greeter.next.ts",
  `import { definePlugin } from "hotline";
export default definePlugin({
  name: "greeter",
  on: { "message:text": async (event, ctx) => {
    await ctx.kv.set("next-was-here", true);
    if (event.message.text === "crash") throw new Error("the next version crashed");
    await ctx.reply("hi " + event.message.text);
    await ctx.push("and a push from the next version");
  } },
});
`,
);
// A next version that is not opted in: never run.
plugins.write(
  "quiet.ts",
  `import { definePlugin } from "hotline";
export default definePlugin({ name: "quiet", on: { "message:text": async () => {} } });
`,
);
plugins.write(
  "quiet.next.ts",
  `import { definePlugin } from "hotline";
export default definePlugin({ name: "quiet", on: { "message:text": async (e, ctx) => { await ctx.reply("loud"); } } });
`,
);

let bot: TestBot;
beforeAll(async () => {
  bot = await startTestBot({
    pluginsDir: plugins.dir,
    settings: { greeter: { shadow: true } },
    env: { ADMIN_TOKEN: TOKEN },
  });
});
afterAll(async () => {
  await bot.stop();
  plugins.remove();
});

interface Shown {
  deliveries: Array<{ plugin: string; sent: unknown }>;
  shadow: Record<string, { error: string | null; sent: unknown[] } | undefined>;
}

async function shown(eventId: string): Promise<Shown> {
  const response = await fetch(`${bot.url}/admin/events/${eventId}`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  return ((await response.json()) as { event: Shown }).event;
}

test("only the live versions are loaded live; the next ones run in the shadow host", () => {
  const live = bot.hotline.plugins.statuses().map((status) => status.file);
  expect(live.sort()).toEqual(["greeter.ts", "quiet.ts"]);
  const next = bot.hotline.shadow?.host.statuses().map((status) => status.file);
  expect(next?.sort()).toEqual(["greeter.next.ts", "quiet.next.ts"]);
});

test("the next version's answers are recorded beside the live ones and never sent", async () => {
  const there = event.text("there", { chat: user(PERSON) });
  await bot.deliver(there);
  expect(bot.repliesTo(there)).toEqual([{ type: "text", text: "hello there" }]);
  expect(bot.line.pushes).toEqual([]);
  const recorded = await shown(there.webhookEventId);
  const live = recorded.deliveries.find((d) => d.plugin === "greeter");
  expect(live?.sent).toEqual([{ via: "reply", messages: [{ type: "text", text: "hello there" }] }]);
  expect(recorded.shadow.greeter).toMatchObject({
    error: null,
    sent: [
      { via: "reply", messages: [{ type: "text", text: "hi there" }] },
      { via: "push", messages: [{ type: "text", text: "and a push from the next version" }] },
    ],
  });
  // Not opted in: no shadow run.
  expect(recorded.shadow.quiet).toBeUndefined();
  // Its state is its own: the live plugin's key-value store never saw its write.
  expect(await bot.kv("greeter").get("next-was-here")).toBeUndefined();
});

test("a crashing next version is recorded and leaves the live one alone", async () => {
  const crash = event.text("crash", { chat: user(PERSON) });
  await bot.deliver(crash);
  expect(bot.repliesTo(crash)).toEqual([{ type: "text", text: "hello crash" }]);
  const [delivery] = (await bot.deliveries(crash.webhookEventId)).filter(
    (d) => d.plugin === "greeter",
  );
  expect(delivery?.status).toBe("done");
  const recorded = await shown(crash.webhookEventId);
  expect(recorded.shadow.greeter?.error).toContain("the next version crashed");
  expect(recorded.shadow.greeter?.sent).toEqual([]);
  // And the live plugin goes on answering.
  const after = event.text("again", { chat: user(PERSON) });
  await bot.deliver(after);
  expect(bot.repliesTo(after)).toEqual([{ type: "text", text: "hello again" }]);
});
