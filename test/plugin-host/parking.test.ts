import { afterEach, describe, expect, test } from "bun:test";
import pino from "pino";
import { createPluginsDir, event, startTestBot, type TestBot } from "../../src/dev/testing/mod.ts";
import type { Logger } from "../../src/logging/logger.ts";
import type { HostEvent } from "../../src/plugin-host/host.ts";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const IDLE_MS = 300;

/** Replies which start of its worker answered: a parked plugin comes back as a fresh worker. */
const counter = `import { definePlugin } from "hotline";
const started = crypto.randomUUID().slice(0, 8);
let handled = 0;
export default definePlugin({
  name: "counter",
  setup(ctx) { ctx.route("GET", "/started", () => new Response(started)); },
  on: { "message:text": (event, ctx) => ctx.reply(\`\${started} #\${++handled}\`) },
});
`;

/** Keeps a timer of its own: parking would stop it, so it is never parked. */
const ticking = `import { definePlugin } from "hotline";
export default definePlugin({
  name: "ticking",
  setup() { setInterval(() => {}, 60_000); },
  on: { "message:text": () => {} },
});
`;

const parked = (name: string) => (e: HostEvent) => e.type === "parked" && e.name === name;

async function botWith(
  files: Record<string, string>,
  options: { idleMs?: number; logger?: Logger } = {},
): Promise<TestBot> {
  const plugins = createPluginsDir();
  cleanups.push(plugins.remove);
  for (const [name, source] of Object.entries(files)) plugins.write(name, source);
  const bot = await startTestBot({
    pluginsDir: plugins.dir,
    // The slow handler below outlasts the idle time, and its reply the test kit's reply deadline.
    env: { PLUGIN_IDLE_MS: String(options.idleMs ?? IDLE_MS), REPLY_DEADLINE_MS: "5000" },
    ...(options.logger ? { logger: options.logger } : {}),
  });
  cleanups.push(() => bot.stop());
  return bot;
}

const status = (bot: TestBot, name: string) =>
  bot.hotline.plugins.statuses().find((s) => s.name === name);

async function answer(bot: TestBot, text: string): Promise<string> {
  const sent = event.text(text);
  await bot.send(sent);
  const [reply] = (await bot.waitForReply(sent)) as Array<{ text: string }>;
  return reply?.text ?? "";
}

describe("an idle plugin's worker is parked, and work starts it again", () => {
  test("an event for a parked plugin is answered by a fresh worker", async () => {
    const bot = await botWith({ "counter.ts": counter });
    const first = await answer(bot, "one");
    expect(first).toEndWith("#1");

    await bot.waitForPlugin(parked("counter"));
    expect(status(bot, "counter")).toMatchObject({ state: "loaded", parked: true });

    const second = await answer(bot, "two");
    // A fresh module: another start, its count from one again.
    expect(second).toEndWith("#1");
    expect(second.split(" ")[0]).not.toBe(first.split(" ")[0]);
    expect(status(bot, "counter")).toMatchObject({ state: "loaded", parked: false });
    await bot.settle();
    expect((await bot.deliveries()).map((d) => d.status)).toEqual(["done", "done"]);
  });

  test("a request to a parked plugin's route starts it", async () => {
    const bot = await botWith({ "counter.ts": counter });
    const before = await (await fetch(`${bot.url}/plugins/counter/started`)).text();
    await bot.waitForPlugin(parked("counter"));
    const response = await fetch(`${bot.url}/plugins/counter/started`);
    expect(response.status).toBe(200);
    expect(await response.text()).not.toBe(before);
  });

  test("a worker busy past the idle time is not parked under its work", async () => {
    const slow = counter
      .replace('name: "counter"', 'name: "slow"')
      .replace(
        "(event, ctx) => ctx.reply(",
        `async (event, ctx) => { await new Promise((r) => setTimeout(r, ${IDLE_MS * 2})); await ctx.reply(`,
      )
      .replace("}) },\n});", "}) } },\n});")
      .replace(`#\${++handled}\`)`, `#\${++handled}\`); }`);
    const bot = await botWith({ "slow.ts": slow });
    // Parked once idle since its load (it may be already): the event below starts a fresh worker,
    // which it keeps busy from its first moment.
    if (!status(bot, "slow")?.parked) await bot.waitForPlugin(parked("slow"));
    const events: HostEvent[] = [];
    cleanups.push(bot.hotline.plugins.subscribe((e) => events.push(e)));
    expect(await answer(bot, "slow")).toEndWith("#1");
    expect(events.filter(parked("slow"))).toEqual([]);
    await bot.waitForPlugin(parked("slow"));
  });

  test("a plugin with a timer of its own pending is never parked", async () => {
    // Asked twice (two idle times), kept both times.
    let kept = 0;
    const { promise: keptTwice, resolve } = Promise.withResolvers<void>();
    const write = (line: string) => {
      if (line.includes("timers of its own are pending") && ++kept === 2) resolve();
    };
    const bot = await botWith(
      { "ticking.ts": ticking },
      { logger: pino({ level: "debug" }, { write }) },
    );
    const events: HostEvent[] = [];
    cleanups.push(bot.hotline.plugins.subscribe((e) => events.push(e)));
    await keptTwice;
    expect(events.filter(parked("ticking"))).toEqual([]);
    expect(status(bot, "ticking")).toMatchObject({ state: "loaded", parked: false });
  });

  test("a job due for a parked plugin starts it, and runs", async () => {
    const later = `import { definePlugin } from "hotline";
export default definePlugin({
  name: "later",
  jobs: { ping: { handler: (data, ctx) => ctx.push("ping", { to: data.to }) } },
  on: {
    "message:text": (event, ctx) =>
      ctx.schedule("ping", { after: 60_000, data: { to: event.source.userId } }),
  },
});
`;
    const bot = await botWith({ "later.ts": later });
    const sent = event.text("in a minute");
    await bot.deliver(sent);
    await bot.waitForPlugin(parked("later"));
    await bot.advance(60_000);
    const to = (sent.source as { userId: string }).userId;
    await bot.line.waitFor(() => bot.pushesTo(to).length > 0);
    expect(bot.pushesTo(to)).toEqual([{ type: "text", text: "ping" }]);
  });

  test("PLUGIN_IDLE_MS=0 never parks", async () => {
    const bot = await botWith({ "counter.ts": counter }, { idleMs: 0 });
    expect(await answer(bot, "one")).toEndWith("#1");
    expect(await answer(bot, "two")).toEndWith("#2");
    expect(status(bot, "counter")).toMatchObject({ parked: false });
  });
});
