import { afterEach, expect, test } from "bun:test";
import { createPluginsDir, event, startTestBot, user } from "../../src/dev/testing/mod.ts";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const COOLDOWN_MS = 10_000;

/** Fails every event until the host clock reaches `settings.healthyAt`. */
const flaky = `import { definePlugin, z } from "hotline";
export default definePlugin({
  name: "flaky",
  settings: z.object({ healthyAt: z.number() }),
  on: {
    "message:text": async (event, ctx) => {
      if (ctx.now() < ctx.settings.healthyAt) throw new Error("upstream is down");
      await ctx.reply("flaky " + event.message.text);
    },
  },
});
`;

const steady = `import { definePlugin } from "hotline";
export default definePlugin({
  name: "steady",
  on: { "message:text": async (event, ctx) => { await ctx.reply("steady " + event.message.text); } },
});
`;

test("a plugin that keeps failing is paused by the breaker, others carry on, and it is tried again after the cooldown", async () => {
  const plugins = createPluginsDir();
  cleanups.push(plugins.remove);
  plugins.write("flaky.ts", flaky);
  plugins.write("steady.ts", steady);
  // The clock starts at about Date.now(); the plugin recovers before the cooldown ends.
  const healthyAt = Date.now() + COOLDOWN_MS / 2;
  const bot = await startTestBot({
    pluginsDir: plugins.dir,
    settings: { flaky: { healthyAt } },
    tuning: { breaker: { threshold: 3, cooldownMs: COOLDOWN_MS } },
  });
  cleanups.push(() => bot.stop());
  const status = (name: string) => bot.hotline.plugins.statuses().find((s) => s.name === name);
  const flakyDelivery = async (ev: { webhookEventId?: string }) =>
    (await bot.deliveries(ev.webhookEventId)).find((d) => d.plugin === "flaky");

  // One chat each, so no event waits behind another's retry in its chat's lane.
  const failing = [1, 2, 3].map((i) =>
    event.text(`fail ${i}`, { chat: user(`U${String(i).repeat(32)}`) }),
  );
  await bot.deliver(...failing);
  expect(status("flaky")).toMatchObject({ state: "paused", consecutiveFailures: 3, failed: 3 });
  expect(status("steady")).toMatchObject({ state: "loaded", consecutiveFailures: 0 });
  for (const ev of failing) {
    expect(await flakyDelivery(ev)).toMatchObject({
      status: "retry",
      lastError: "upstream is down",
    });
    expect(bot.repliesTo(ev)).toEqual([{ type: "text", text: `steady ${ev.message.text}` }]);
  }

  // While paused, its deliveries wait without running (no attempt is spent); the others run.
  const waiting = event.text("while paused", { chat: user(`U${"4".repeat(32)}`) });
  await bot.deliver(waiting);
  expect(await flakyDelivery(waiting)).toMatchObject({ status: "pending", attempts: 0 });
  expect(bot.repliesTo(waiting)).toEqual([{ type: "text", text: "steady while paused" }]);
  // Retries that come due before the cooldown ends are held back too.
  await bot.advance(COOLDOWN_MS / 2);
  expect(status("flaky")?.state).toBe("paused");
  expect((await flakyDelivery(failing[0] ?? {}))?.attempts).toBe(1);

  await bot.advance(COOLDOWN_MS / 2);
  expect(status("flaky")).toMatchObject({ state: "loaded", consecutiveFailures: 0, delivered: 4 });
  for (const ev of [...failing, waiting])
    expect(await flakyDelivery(ev)).toMatchObject({ status: "done", lastError: null });
  expect((await flakyDelivery(waiting))?.attempts).toBe(1);
  expect((await flakyDelivery(failing[0] ?? {}))?.attempts).toBe(2);
  expect(
    bot
      .sentTexts()
      .filter((t) => t.startsWith("flaky"))
      .sort(),
  ).toEqual(["flaky fail 1", "flaky fail 2", "flaky fail 3", "flaky while paused"]);
});

test("a plugin still failing after the cooldown is paused again at once", async () => {
  const plugins = createPluginsDir();
  cleanups.push(plugins.remove);
  plugins.write("flaky.ts", flaky);
  const bot = await startTestBot({
    pluginsDir: plugins.dir,
    settings: { flaky: { healthyAt: Number.MAX_SAFE_INTEGER } },
    tuning: { breaker: { threshold: 2, cooldownMs: COOLDOWN_MS } },
  });
  cleanups.push(() => bot.stop());
  const status = () => bot.hotline.plugins.statuses()[0];

  const first = event.text("one", { chat: user(`U${"1".repeat(32)}`) });
  const second = event.text("two", { chat: user(`U${"2".repeat(32)}`) });
  await bot.deliver(first, second);
  expect(status()).toMatchObject({ state: "paused", failed: 2 });

  // Their retries come due long before the cooldown ends, but wait for it.
  await bot.advance(COOLDOWN_MS - 1);
  for (const ev of [first, second])
    expect((await bot.deliveries(ev.webhookEventId))[0]).toMatchObject({
      status: "retry",
      attempts: 1,
    });

  await bot.advance(1);
  // Tried again once the cooldown ended; the failure opened the circuit again at once.
  expect(status()?.state).toBe("paused");
  expect(status()?.failed).toBeGreaterThan(2);
  const records = await Promise.all(
    [first, second].map(async (ev) => (await bot.deliveries(ev.webhookEventId))[0]),
  );
  expect(records.map((d) => d?.status)).toEqual(["retry", "retry"]);
  expect(Math.max(...records.map((d) => d?.attempts ?? 0))).toBe(2);
});

test("a plugin paused by an operator holds its deliveries, and runs them as soon as it is resumed", async () => {
  const plugins = createPluginsDir();
  cleanups.push(plugins.remove);
  plugins.write("steady.ts", steady);
  const bot = await startTestBot({ pluginsDir: plugins.dir });
  cleanups.push(() => bot.stop());

  expect(bot.hotline.plugins.setPaused("steady", true)).toBe(true);
  expect(bot.hotline.plugins.statuses()[0]?.state).toBe("paused");
  const held = event.text("held");
  await bot.deliver(held);
  expect((await bot.deliveries(held.webhookEventId))[0]).toMatchObject({
    status: "pending",
    attempts: 0,
  });
  expect(bot.repliesTo(held)).toEqual([]);

  bot.hotline.plugins.setPaused("steady", false);
  await bot.settle();
  expect((await bot.deliveries(held.webhookEventId))[0]).toMatchObject({
    status: "done",
    attempts: 1,
  });
  expect(bot.repliesTo(held)).toEqual([{ type: "text", text: "steady held" }]);
});
