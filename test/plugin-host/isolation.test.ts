import { afterEach, describe, expect, test } from "bun:test";
import {
  createPluginsDir,
  event,
  group,
  startTestBot,
  type TestBot,
} from "../../src/testing/mod.ts";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

// Small, yet with room for the bystander to be served before it passes on a busy machine.
const DEADLINE_MS = 600;

/**
 * A plugin for group chats that misbehaves on the text "misbehave" and otherwise answers with the
 * id of the worker it runs in (drawn when its module is evaluated), so a test can tell whether the
 * worker was replaced.
 */
const troublemaker = (misbehave: string) => `import { definePlugin } from "hotline";
const worker = crypto.randomUUID();
let aborted: string | undefined;
export default definePlugin({
  name: "troublemaker",
  chats: ["group"],
  timeoutMs: ${DEADLINE_MS},
  on: {
    "message:text": async (event, ctx) => {
      if (event.message.text === "misbehave") {
        ${misbehave}
      }
      await ctx.reply("worker " + worker + (aborted ? " saw abort: " + aborted : ""));
    },
  },
});
`;

/** Answers in 1:1 chats only, so it never shares an event (or a reply batch) with the troublemaker. */
const bystander = `import { definePlugin } from "hotline";
export default definePlugin({
  name: "bystander",
  chats: ["user"],
  on: { "message:text": async (event, ctx) => { await ctx.reply("bystander " + event.message.text); } },
});
`;

async function botWith(misbehave: string): Promise<TestBot> {
  const plugins = createPluginsDir();
  cleanups.push(plugins.remove);
  plugins.write("troublemaker.ts", troublemaker(misbehave));
  plugins.write("bystander.ts", bystander);
  const bot = await startTestBot({ pluginsDir: plugins.dir });
  cleanups.push(() => bot.stop());
  return bot;
}

// A fresh group each time: a failed event waits for its retry at the head of its chat's lane, and
// would hold back later events of the same chat (per-chat order is the contract).
let groups = 0;
const inGroup = (text: string) =>
  event.text(text, { chat: group(`C${(++groups).toString(16).padStart(32, "0")}`) });

async function workerId(bot: TestBot): Promise<string> {
  const ev = inGroup("who are you");
  await bot.deliver(ev);
  const [reply] = bot.repliesTo(ev) as Array<{ text: string }>;
  expect(reply?.text).toStartWith("worker ");
  return reply?.text ?? "";
}

const delivery = (bot: TestBot, ev: { webhookEventId?: string }, plugin = "troublemaker") =>
  bot.deliveries(ev.webhookEventId).find((d) => d.plugin === plugin);

/** Sends a 1:1 event while the troublemaker is busy, and expects the bystander to answer it. */
async function bystanderAnswers(bot: TestBot): Promise<void> {
  const ev = event.text("meanwhile");
  await bot.send(ev);
  expect(await bot.waitForReply(ev, 2000)).toEqual([{ type: "text", text: "bystander meanwhile" }]);
}

describe("a plugin's handler misbehaving", () => {
  test("a handler that throws fails that delivery only; the plugin handles the next event", async () => {
    const bot = await botWith(`throw new TypeError("handler exploded");`);
    const before = await workerId(bot);

    const bad = inGroup("misbehave");
    const other = event.text("meanwhile");
    await bot.deliver(bad, other);
    expect(delivery(bot, bad)).toMatchObject({
      status: "retry",
      attempts: 1,
      lastError: "TypeError: handler exploded",
    });
    expect(bot.repliesTo(bad)).toEqual([]);
    expect(bot.repliesTo(other)).toEqual([{ type: "text", text: "bystander meanwhile" }]);

    expect(await workerId(bot)).toBe(before);
    expect(bot.hotline.plugins.statuses().find((s) => s.name === "troublemaker")).toMatchObject({
      state: "loaded",
      failed: 1,
    });
  });

  test("a handler that never resolves times out at its deadline and is aborted; the worker lives on", async () => {
    const bot = await botWith(`ctx.signal.addEventListener("abort", () => {
          aborted = String(ctx.signal.reason?.message ?? ctx.signal.reason);
        });
        await new Promise(() => {});`);
    const before = await workerId(bot);

    const stuck = inGroup("misbehave");
    await bot.send(stuck);
    await bystanderAnswers(bot);
    expect(delivery(bot, stuck)?.status).toBe("pending");

    await bot.settle();
    expect(delivery(bot, stuck)).toMatchObject({
      status: "retry",
      lastError: `timed out after ${DEADLINE_MS} ms`,
    });
    // Same worker (the thread was free), and the handler's signal was aborted with the reason.
    expect(await workerId(bot)).toBe(`${before} saw abort: deadline of ${DEADLINE_MS} ms passed`);
  });

  test("a handler that blocks its thread is stopped at the deadline, its worker replaced, and the next event handled", async () => {
    const bot = await botWith(`await ctx.push("spinning");
        while (true) {}`);
    const before = await workerId(bot);

    const spin = inGroup("misbehave");
    await bot.send(spin);
    // The loop runs once the push is through: the bystander is served while the thread is stuck.
    const chat = (spin.source as { groupId: string }).groupId;
    await bot.line.waitFor(() => bot.pushesTo(chat).length > 0, { timeoutMs: 2000 });
    await bystanderAnswers(bot);
    expect(delivery(bot, spin)?.status).toBe("pending");

    await bot.settle();
    expect(delivery(bot, spin)).toMatchObject({
      status: "retry",
      lastError: `timed out after ${DEADLINE_MS} ms`,
    });
    // Sent at once after the deadline, while the host still waits for the stuck thread's answer.
    const after = await workerId(bot);
    expect(after).not.toBe(before);
    expect(bot.hotline.plugins.statuses().find((s) => s.name === "troublemaker")).toMatchObject({
      state: "loaded",
      error: undefined,
    });
    await bystanderAnswers(bot);
  });
});

describe("stray errors in plugin code", () => {
  test("an error thrown from a timer is logged, not fatal to the plugin's worker", async () => {
    const bot = await botWith(`setTimeout(() => { throw new Error("stray timer error"); }, 0);
        setTimeout(async () => { throw new Error("stray async timer error"); }, 0);
        queueMicrotask(() => { throw new Error("stray microtask error"); });
        // Timers run in order: once this one fires, the stray errors have been thrown.
        await new Promise((resolve) => setTimeout(resolve, 5));`);
    const before = await workerId(bot);
    const stray = inGroup("misbehave");
    await bot.deliver(stray);
    expect(delivery(bot, stray)).toMatchObject({ status: "done" });
    expect(await workerId(bot)).toBe(before);
  });

  test("an unhandled rejection costs the worker, but the plugin is restarted and carries on", async () => {
    // Bun ends a worker on an unhandled rejection whatever the worker does (oven-sh/bun#29043).
    const bot = await botWith(`void Promise.reject(new Error("nobody catches this"));
        await new Promise((resolve) => setTimeout(resolve, 50));`);
    const before = await workerId(bot);
    const stray = inGroup("misbehave");
    await bot.deliver(stray);
    const after = await workerId(bot);
    if (delivery(bot, stray)?.status === "done") {
      // A Bun that honours preventDefault() in workers keeps the worker.
      expect(after).toBe(before);
    } else {
      expect(delivery(bot, stray)).toMatchObject({
        status: "retry",
        lastError: "worker crashed: nobody catches this",
      });
      expect(after).not.toBe(before);
    }
    await bystanderAnswers(bot);
  });
});

describe("a plugin's storage use", () => {
  test("a plugin writing its key-value store all the time never keeps events from their plugins", async () => {
    const plugins = createPluginsDir();
    cleanups.push(plugins.remove);
    plugins.write(
      "scribbler.ts",
      `import { definePlugin } from "hotline";
let n = 0;
export default definePlugin({
  name: "scribbler",
  setup(ctx) {
    ctx.every(2, () => ctx.kv.set("counter", ++n));
  },
  on: { "message:text": async (event, ctx) => { await ctx.reply("noted " + event.message.text); } },
});
`,
    );
    const bot = await startTestBot({ pluginsDir: plugins.dir });
    cleanups.push(() => bot.stop());

    const statuses: number[] = [];
    const sent = [];
    for (let i = 0; i < 60; i++) {
      const ev = event.text(`note ${i}`);
      sent.push(ev);
      const response = await bot.send(ev);
      statuses.push(response.status);
      await response.text();
    }
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    await bot.settle();
    for (const ev of sent) {
      expect(bot.deliveries(ev.webhookEventId)).toMatchObject([
        { plugin: "scribbler", status: "done" },
      ]);
      expect(bot.repliesTo(ev)).toEqual([{ type: "text", text: `noted ${ev.message.text}` }]);
    }
  });
});
