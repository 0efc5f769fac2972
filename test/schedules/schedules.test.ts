/**
 * Schedules end to end: a plugin schedules through its context, the bot runs jobs when the test's
 * manual clock reaches them, pushes go to the LINE stand-in, and restarts reopen the same store.
 */
import { afterEach, describe, expect, test } from "bun:test";
import {
  createPluginsDir,
  event,
  startTestBot,
  type TestBot,
  type TestBotOptions,
  user,
} from "../../src/dev/testing/mod.ts";
import { sample, scrape } from "../metrics/prom.ts";
import { OPERATOR, TICKS } from "./fixtures/reminders.ts";

const REMINDERS = new URL("./fixtures/reminders.ts", import.meta.url);
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
/** A Saturday, 8:00 in New York: the day before the clocks there go forward. */
const T0 = Date.UTC(2026, 2, 7, 13, 0);

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(options: TestBotOptions = {}): Promise<TestBot> {
  const bot = await startTestBot({ plugins: [REMINDERS], now: T0, ...options });
  cleanups.push(() => bot.stop());
  return bot;
}

let chats = 0;
const freshChat = () => `U${String(++chats).padStart(32, "c")}`;
const texts = (messages: unknown[]) => messages.map((m) => (m as { text?: string }).text);

/** Sends "remind …" from a fresh chat; resolves with the chat. */
async function remind(bot: TestBot, text: string): Promise<string> {
  const chat = freshChat();
  await bot.deliver(event.text(`remind ${text}`, { chat: user(chat) }));
  return chat;
}

/** Moves the clock to `at` (ms since the epoch) and lets what is due run. */
const advanceTo = (bot: TestBot, at: number) => bot.advance(at - bot.clock.now());

describe("one-shot schedules", () => {
  test("a reminder scheduled by a handler runs when the clock reaches it, once", async () => {
    const bot = await start();
    const chat = freshChat();
    const sent = event.text("remind 60 tea", { chat: user(chat) });
    await bot.deliver(sent);
    expect(texts(bot.repliesTo(sent))).toEqual([expect.stringMatching(/^scheduled /)]);
    await bot.advance(59 * SECOND);
    expect(bot.pushesTo(chat)).toEqual([]);
    await bot.advance(SECOND);
    expect(texts(bot.pushesTo(chat))).toEqual(["⏰ tea"]);
    await bot.advance(HOUR);
    expect(texts(bot.pushesTo(chat))).toEqual(["⏰ tea"]);
    const [record] = await bot.schedules({ plugin: "reminders", job: "remind" });
    expect(record).toMatchObject({ status: "done", runAt: T0 + MINUTE, attempts: 0 });
  });

  test("a delivery that fails keeps nothing it scheduled; its retry schedules once", async () => {
    const bot = await start({ settings: { reminders: { failDeliveries: true } } });
    const chat = await remind(bot, "60 once");
    expect(await bot.schedules({ job: "remind" })).toEqual([]);
    // The retry (after the test kit's 1 s backoff, ±20%) schedules again, and succeeds.
    await bot.advance(2 * SECOND);
    expect(await bot.schedules({ job: "remind" })).toHaveLength(1);
    await bot.advance(MINUTE);
    expect(texts(bot.pushesTo(chat))).toEqual(["⏰ once"]);
  });

  test("a chosen id replaces the schedule; list shows what is live; cancel stops one", async () => {
    const bot = await start();
    const chat = freshChat();
    const say = (text: string) => bot.deliver(event.text(text, { chat: user(chat) }));
    await say("remind@r1 60 first");
    await say("remind@r1 90 second");
    await say("remind@r2 120 third");
    const listed = event.text("list", { chat: user(chat) });
    await bot.deliver(listed);
    expect(texts(bot.repliesTo(listed))).toEqual([
      [
        "@morning morning scheduled",
        "@tick tick scheduled",
        "r1 remind scheduled",
        "r2 remind scheduled",
      ].join("\n"),
    ]);
    await say("cancel r2");
    await bot.advance(5 * MINUTE);
    expect(texts(bot.pushesTo(chat))).toEqual(["⏰ second"]);
    expect((await bot.schedules({ job: "remind" })).map((s) => [s.id, s.status])).toEqual([
      ["reminders:r1", "done"],
      ["reminders:r2", "cancelled"],
    ]);
  });

  test("ctx.schedule checks its arguments where the plugin calls it", async () => {
    const plugins = createPluginsDir();
    cleanups.push(plugins.remove);
    plugins.write(
      "checker.ts",
      `import { definePlugin } from "hotline";
const attempt = async (f) => { try { await f(); return "ok"; } catch (error) { return error.message; } };
export default definePlugin({
  name: "checker",
  jobs: { noop: { handler() {} } },
  async setup(ctx) {
    // Outside a run, saved at once.
    await ctx.schedule("noop", { id: "from-setup", at: new Date(ctx.now() + 1000) });
  },
  on: {
    "message:text": async (event, ctx) => {
      const results = await Promise.all([
        attempt(() => ctx.schedule("nope", { after: 1 })),
        attempt(() => ctx.schedule("noop", { cron: "61 * * * *" })),
        attempt(() => ctx.schedule("noop", { cron: "0 9 * * *", timeZone: "Mars/Olympus" })),
        attempt(() => ctx.schedule("noop", { after: 1, id: "has space" })),
        attempt(() => ctx.schedule("noop", { after: 1, data: { f: () => 1, n: 1n } })),
        attempt(() => ctx.schedule("noop", {})),
        attempt(() => ctx.schedule("noop", { cron: "*/5 * * * *", id: "every-5" })),
      ]);
      await ctx.reply(results.join("\\n"));
    },
  },
});
`,
    );
    const bot = await startTestBot({ pluginsDir: plugins.dir, now: T0 });
    cleanups.push(() => bot.stop());
    expect((await bot.schedules({ plugin: "checker" })).map((s) => s.id)).toEqual([
      "checker:from-setup",
    ]);
    const sent = event.text("go");
    await bot.deliver(sent);
    const [answer] = texts(bot.repliesTo(sent));
    expect(answer?.split("\n")).toEqual([
      'checker: no job "nope" (declare it in the plugin\'s `jobs`)',
      expect.stringContaining("Invalid value for minute: 61"),
      expect.stringContaining('"Mars/Olympus" is not an IANA time zone'),
      expect.stringContaining("id: must be 1 to 128 letters"),
      expect.stringContaining("BigInt"),
      expect.stringContaining("give one of at, after or cron"),
      "ok",
    ]);
    expect(await bot.schedules({ plugin: "checker", statuses: ["scheduled"] })).toMatchObject([
      { id: "checker:every-5", cron: "*/5 * * * *", nextRunAt: T0 + 5 * MINUTE },
      { id: "checker:from-setup", nextRunAt: T0 + SECOND },
    ]);
  });
});

describe("recurring jobs", () => {
  test("a cron job in a time zone keeps to its wall clock across a daylight saving change", async () => {
    const bot = await start();
    const mornings = () => texts(bot.pushesTo(OPERATOR));
    // 9:00 in New York is 14:00 UTC on Saturday (EST), 13:00 UTC from Sunday on (EDT).
    await advanceTo(bot, Date.UTC(2026, 2, 7, 13, 59, 59));
    expect(mornings()).toEqual([]);
    await bot.advance(SECOND);
    expect(mornings()).toEqual(["good morning 2026-03-07T14:00:00.000Z"]);
    await advanceTo(bot, Date.UTC(2026, 2, 8, 12, 59, 59));
    expect(mornings()).toHaveLength(1);
    await bot.advance(SECOND);
    await advanceTo(bot, Date.UTC(2026, 2, 9, 13, 0));
    expect(mornings()).toEqual([
      "good morning 2026-03-07T14:00:00.000Z",
      "good morning 2026-03-08T13:00:00.000Z",
      "good morning 2026-03-09T13:00:00.000Z",
    ]);
  });

  test("an interval job keeps its phase from the load that declared it; late runs are not made up", async () => {
    const bot = await start();
    const ticks = (...minutes: number[]) =>
      minutes.map((m) => `tick ${new Date(T0 + m * MINUTE).toISOString()}`);
    await bot.advance(10 * MINUTE);
    expect(texts(bot.pushesTo(TICKS))).toEqual(ticks(10));
    // Five minutes late: the run due at :20 runs once, the next stays at :30.
    await bot.advance(15 * MINUTE);
    expect(texts(bot.pushesTo(TICKS))).toEqual(ticks(10, 20));
    await bot.advance(5 * MINUTE);
    expect(texts(bot.pushesTo(TICKS))).toEqual(ticks(10, 20, 30));
    // Three runs missed at once: one run for them.
    await bot.advance(35 * MINUTE);
    expect(texts(bot.pushesTo(TICKS))).toEqual(ticks(10, 20, 30, 40));
    expect(await bot.schedules({ job: "tick" })).toMatchObject([{ nextRunAt: T0 + 70 * MINUTE }]);
  });

  test("bot.runJob runs a recurring job now, and it carries on from there", async () => {
    const bot = await start();
    await bot.runJob("reminders", "tick");
    expect(texts(bot.pushesTo(TICKS))).toEqual([`tick ${new Date(T0).toISOString()}`]);
    await bot.advance(10 * MINUTE);
    expect(bot.pushesTo(TICKS)).toHaveLength(2);
  });
});

describe("failures", () => {
  test("a failing run is retried with backoff, keeping its time, then succeeds once", async () => {
    const bot = await start({ settings: { reminders: { failRuns: 2 } } });
    const chat = await remind(bot, "60 persist");
    await bot.advance(MINUTE);
    const [failed] = await bot.schedules({ job: "remind" });
    expect(failed).toMatchObject({
      status: "scheduled",
      attempts: 1,
      lastError: "attempt 1 fails",
      runAt: T0 + MINUTE,
    });
    // Backoff: 1 s, then 2 s (±20%).
    expect(failed?.nextRunAt).toBeGreaterThanOrEqual(T0 + MINUTE + 800);
    await bot.advance(1200);
    expect(await bot.schedules({ job: "remind" })).toMatchObject([{ attempts: 2 }]);
    await bot.advance(2400);
    expect(texts(bot.pushesTo(chat))).toEqual(["⏰ persist"]);
    expect(await bot.schedules({ job: "remind" })).toMatchObject([
      { status: "done", attempts: 2, lastError: null },
    ]);
  });

  test("a run that fails every attempt is dead-lettered with its last error, and counted", async () => {
    const bot = await start({
      settings: { reminders: { failRuns: 99 } },
      env: { MAX_ATTEMPTS: "3" },
    });
    const chat = await remind(bot, "1 never");
    for (let i = 0; i < 5; i++) await bot.advance(MINUTE);
    expect(bot.pushesTo(chat)).toEqual([]);
    expect(await bot.schedules({ job: "remind" })).toMatchObject([
      { status: "dead", attempts: 3, lastError: "attempt 3 fails" },
    ]);
    const metrics = await scrape(bot.url);
    const runs = (outcome: string) =>
      sample(metrics, "hotline_job_runs_total", { plugin: "reminders", outcome });
    expect([runs("retried"), runs("dead")]).toEqual([2, 1]);
  });

  test("a rerun's pushes, raw ones too, carry the first run's retry keys: LINE takes each once", async () => {
    const plugins = createPluginsDir();
    cleanups.push(plugins.remove);
    const to = freshChat();
    plugins.write(
      "twice.ts",
      `import { definePlugin } from "hotline";
export default definePlugin({
  name: "twice",
  jobs: {
    send: {
      async handler(_data, ctx) {
        await ctx.push("one", { to: "${to}" });
        await ctx.push(["two", "three"], { to: "${to}" });
        await ctx.api.pushMessage({ to: "${to}", messages: [{ type: "text", text: "raw" }] });
        if (ctx.attempt === 1) throw new Error("after pushing");
      },
    },
  },
  async setup(ctx) { await ctx.schedule("send", { id: "s", after: 1000 }); },
});
`,
    );
    const bot = await startTestBot({ pluginsDir: plugins.dir, now: T0 });
    cleanups.push(() => bot.stop());
    await bot.advance(SECOND);
    await bot.advance(2 * SECOND);
    expect(texts(bot.pushesTo(to))).toEqual(["one", "two", "three", "raw"]);
    const calls = bot.line.requests.filter((r) => r.path === "/v2/bot/message/push");
    expect(calls.map((r) => r.status)).toEqual([200, 200, 200, 409, 409, 409]);
    const keys = calls.map((r) => r.retryKey);
    expect(keys.slice(3)).toEqual(keys.slice(0, 3));
    expect(new Set(keys).size).toBe(3);
    expect(await bot.schedules({ plugin: "twice" })).toMatchObject([{ status: "done" }]);
  });

  test("a paused plugin's due runs wait, counting no attempt, and run when it resumes", async () => {
    const bot = await start();
    const chat = await remind(bot, "60 later");
    bot.hotline.plugins.setPaused("reminders", true);
    await bot.advance(2 * MINUTE);
    expect(bot.pushesTo(chat)).toEqual([]);
    expect(await bot.schedules({ job: "remind" })).toMatchObject([
      { status: "scheduled", attempts: 0 },
    ]);
    bot.hotline.plugins.setPaused("reminders", false);
    await bot.settle();
    expect(texts(bot.pushesTo(chat))).toEqual(["⏰ later"]);
  });
});

describe("restarts", () => {
  test("a schedule made before a restart runs after it, on time", async () => {
    const bot = await start();
    const chat = await remind(bot, "3600 after restart");
    await bot.restart();
    await bot.advance(HOUR - SECOND);
    expect(bot.pushesTo(chat)).toEqual([]);
    await bot.advance(SECOND);
    expect(texts(bot.pushesTo(chat))).toEqual(["⏰ after restart"]);
  });

  test("runs due while the bot was down run as it starts; a recurring job runs once for them", async () => {
    const bot = await start();
    const chat = await remind(bot, "60 while down");
    await bot.hotline.stop();
    // Three mornings go by with the bot down.
    bot.clock.set(Date.UTC(2026, 2, 10, 15, 0));
    await bot.restart();
    expect(texts(bot.pushesTo(chat))).toEqual(["⏰ while down"]);
    expect(texts(bot.pushesTo(OPERATOR))).toEqual(["good morning 2026-03-07T14:00:00.000Z"]);
    expect(texts(bot.pushesTo(TICKS))).toHaveLength(1);
    const [morning] = await bot.schedules({ job: "morning" });
    expect(morning).toMatchObject({ status: "scheduled", runAt: Date.UTC(2026, 2, 11, 13, 0) });
  });
});

describe("new versions", () => {
  const version = (jobs: string) => `import { definePlugin } from "hotline";
export default definePlugin({
  name: "versioned",
  jobs: {
    ${jobs}
    once: { handler: (data, ctx) => ctx.push("once by " + ctx.name, { to: data.to }) },
  },
  async setup(ctx) {
    const [scheduled] = await ctx.schedules.list({ job: "once" });
    if (!scheduled) await ctx.schedule("once", { id: "once", after: 3_600_000, data: { to: "${TICKS}" } });
  },
});
`;

  test("a reload re-times changed recurring jobs, deletes dropped ones, and keeps one-shots", async () => {
    const plugins = createPluginsDir();
    cleanups.push(plugins.remove);
    const file = plugins.write(
      "versioned.ts",
      version(`tick: { every: 600_000, handler() {} }, gone: { every: 600_000, handler() {} },`),
    );
    const bot = await startTestBot({ pluginsDir: plugins.dir, now: T0 });
    cleanups.push(() => bot.stop());
    const shape = async () =>
      (await bot.schedules({ plugin: "versioned" })).map((s) => [
        s.id,
        s.cron ?? s.everyMs,
        s.revision,
      ]);
    expect(await shape()).toEqual([
      ["versioned:@gone", 600_000, 0],
      ["versioned:@tick", 600_000, 0],
      ["versioned:once", null, 0],
    ]);
    await bot.advance(10 * MINUTE);
    plugins.write("versioned.ts", version(`tick: { cron: "*/5 * * * *", handler() {} },`));
    await bot.hotline.plugins.reload([file]);
    await bot.settle();
    expect(await shape()).toEqual([
      ["versioned:@tick", "*/5 * * * *", 1],
      ["versioned:once", null, 0],
    ]);
    expect(await bot.schedules({ ids: ["versioned:@tick"] })).toMatchObject([
      { nextRunAt: T0 + 15 * MINUTE },
    ]);
    await bot.advance(HOUR);
    expect(texts(bot.pushesTo(TICKS))).toEqual(["once by versioned"]);
  });
});
