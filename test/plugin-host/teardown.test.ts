import { afterEach, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { createPluginsDir, startTestBot, type TestBot } from "../../src/dev/testing/mod.ts";
import type { HostEvent } from "../../src/plugin-host/host.ts";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

// Timers announce themselves by pushing to these (made-up) users, so the test can await ticks.
const TICKS = "U11111111111111111111111111111111";
const BEATS = "U22222222222222222222222222222222";
const PERIOD_MS = 20;

/**
 * Serves GET /ping and ticks with a timer; `extra` goes into setup, `teardown` is its
 * teardown's body (after it says goodbye).
 */
const ticker = (tag: string, options: { extra?: string; teardown?: string } = {}) =>
  `import { definePlugin } from "hotline";
export default definePlugin({
  name: "ticker",
  setup(ctx) {
    ctx.route("GET", "/ping", () => new Response("pong ${tag}"));
    setInterval(() => void ctx.push("tick ${tag}", { to: "${TICKS}" }), ${PERIOD_MS});
    ${options.extra ?? ""}
  },
  async teardown(ctx) {
    await ctx.push("bye ${tag}", { to: "${TICKS}" });
    ${options.teardown ?? ""}
  },
  on: { "message:text": () => {} },
});
`;

/** A second plugin's timer: the yardstick for "several periods went by". */
const metronome = `import { definePlugin } from "hotline";
export default definePlugin({
  name: "metronome",
  setup(ctx) { setInterval(() => void ctx.push("beat", { to: "${BEATS}" }), ${PERIOD_MS}); },
  on: { "message:text": () => {} },
});
`;

const pushed = (bot: TestBot, to: string, text: string) =>
  bot.pushesTo(to).filter((m) => (m as { text?: string }).text === text).length;

/** Waits until `text` was pushed to TICKS at least once (it may have been already). */
const said = (bot: TestBot, text: string) =>
  bot.line.waitFor(() => pushed(bot, TICKS, text) > 0, { timeoutMs: 3000 });

/** Waits until `count` more pushes of `text` went to `to`. */
async function more(bot: TestBot, to: string, text: string, count: number): Promise<void> {
  const start = pushed(bot, to, text);
  await bot.line.waitFor(() => pushed(bot, to, text) >= start + count, { timeoutMs: 3000 });
}

/**
 * Waits until `text` stops being pushed: its count stays the same while the metronome beats five
 * times (five timer periods). Fails if it still ticks after `timeoutMs`.
 */
async function stopsTicking(bot: TestBot, text: string, timeoutMs = 4000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const before = pushed(bot, TICKS, text);
    await more(bot, BEATS, "beat", 5);
    if (pushed(bot, TICKS, text) === before) return;
    if (performance.now() > deadline)
      throw new Error(`"${text}" still ticks after ${timeoutMs} ms`);
  }
}

async function setup(tickerSource: string, options: { drainMs?: number } = {}) {
  const plugins = createPluginsDir();
  cleanups.push(plugins.remove);
  plugins.write("ticker.ts", tickerSource);
  plugins.write("metronome.ts", metronome);
  const bot = await startTestBot({ pluginsDir: plugins.dir, tuning: { watch: true, ...options } });
  cleanups.push(() => bot.stop());
  const ping = async () => {
    const response = await fetch(`${bot.url}/plugins/ticker/ping`);
    return { status: response.status, body: await response.text() };
  };
  expect(await ping()).toEqual({ status: 200, body: "pong v1" });
  await more(bot, TICKS, "tick v1", 2);
  return { bot, plugins, ping, file: join(plugins.dir, "ticker.ts") };
}

const unloaded = (e: HostEvent) => e.type === "unloaded" && e.name === "ticker";

describe("a plugin version's routes and timers are released when it goes", () => {
  test("deleting the plugin: its route answers 404 and its timer stops", async () => {
    const { bot, ping, file } = await setup(ticker("v1"));
    const gone = bot.waitForPlugin(unloaded);
    rmSync(file);
    await gone;
    await said(bot, "bye v1");

    expect((await ping()).status).toBe(404);
    await stopsTicking(bot, "tick v1");
    expect(pushed(bot, TICKS, "bye v1")).toBe(1);
  });

  test("editing the plugin: the route serves the new version and only the new timer runs", async () => {
    const { bot, plugins, ping } = await setup(ticker("v1"));
    const swapped = bot.waitForPlugin((e) => e.type === "loaded" && e.name === "ticker");
    plugins.write("ticker.ts", ticker("v2"));
    await swapped;

    expect(await ping()).toEqual({ status: 200, body: "pong v2" });
    await said(bot, "bye v1");
    await stopsTicking(bot, "tick v1");
    await more(bot, TICKS, "tick v2", 3);
  });

  test("a teardown that throws still releases everything, even timers it never stops", async () => {
    const { bot, ping, file } = await setup(
      ticker("v1", {
        extra: `setInterval(() => void ctx.push("raw tick", { to: "${TICKS}" }), ${PERIOD_MS});`,
        teardown: `throw new Error("teardown exploded");`,
      }),
    );
    await more(bot, TICKS, "raw tick", 2);
    const gone = bot.waitForPlugin(unloaded);
    rmSync(file);
    await gone;
    await said(bot, "bye v1");

    expect((await ping()).status).toBe(404);
    await stopsTicking(bot, "tick v1");
    await stopsTicking(bot, "raw tick");
  });

  test("a teardown that never finishes is cut off, and its version released", async () => {
    const { bot, ping, file } = await setup(
      ticker("v1", {
        extra: `setInterval(() => void ctx.push("raw tick", { to: "${TICKS}" }), ${PERIOD_MS});`,
        teardown: "await new Promise(() => {});",
      }),
      { drainMs: 300 },
    );
    const gone = bot.waitForPlugin(unloaded);
    rmSync(file);
    await gone;

    expect((await ping()).status).toBe(404);
    await stopsTicking(bot, "raw tick");
    expect(bot.hotline.plugins.statuses().map((s) => s.name)).toEqual(["metronome"]);
  });
});
