import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import {
  createPluginsDir,
  event,
  startTestBot,
  type TestBot,
  ulid,
} from "../../src/dev/testing/mod.ts";
import { sample, scrape } from "./prom.ts";

// Four plugins see every text; each reacts to its own word, so each outcome is made on purpose.
const PLUGINS: Record<string, string> = {
  "replier.ts": `import { definePlugin } from "hotline";
export default definePlugin({
  name: "replier",
  on: { "message:text": async (event, ctx) => { await ctx.reply("re: " + event.message.text); } },
});
`,
  // Its LINE calls are made by the client inside its worker, not by the host.
  "caller.ts": `import { definePlugin } from "hotline";
export default definePlugin({
  name: "caller",
  on: { "message:text": async (event, ctx) => { if (event.message.text === "api") await ctx.api.getBotInfo(); } },
});
`,
  "broken.ts": `import { definePlugin } from "hotline";
export default definePlugin({
  name: "broken",
  on: { "message:text": (event) => { if (event.message.text === "fail") throw new Error("broken on purpose"); } },
});
`,
  "sleepy.ts": `import { definePlugin } from "hotline";
export default definePlugin({
  name: "sleepy",
  timeoutMs: 200,
  on: { "message:text": async (event) => { if (event.message.text === "hang") await new Promise(() => {}); } },
});
`,
};

const dir = createPluginsDir();
let bot: TestBot;
let metrics: string;

beforeAll(async () => {
  for (const [file, source] of Object.entries(PLUGINS)) dir.write(file, source);
  bot = await startTestBot({
    pluginsDir: dir.dir,
    env: { MAX_ATTEMPTS: "2" },
    // Retries wait for the test to move the clock; failures here are the subject, not the breaker.
    tuning: {
      backoff: { baseDelayMs: 60_000, maxDelayMs: 60_000 },
      breaker: { threshold: 1000, cooldownMs: 1000 },
    },
  });
  await bot.deliver(event.text("hello"));
  bot.line.fault({ method: "GET", path: "/v2/bot/info", status: 500 });
  await bot.deliver(event.text("api"));
  await bot.deliver(event.text("fail"));
  await bot.deliver(event.text("hang"));
  await bot.deliver({ type: "somethingNew", webhookEventId: ulid(), timestamp: Date.now() });
  expect((await bot.post("{}", { signature: "AAAA" })).status).toBe(401);
  expect((await bot.post("not json")).status).toBe(400);
  // Two events are still open, both received at the (frozen) start time.
  bot.clock.advance(7_000);
  metrics = await scrape(bot.url);
});
afterAll(async () => {
  await bot?.stop();
  dir.remove();
});

describe("GET /metrics", () => {
  test("counts webhook requests by status", () => {
    expect(sample(metrics, "hotline_webhook_requests_total", { status: "200" })).toBe(5);
    expect(sample(metrics, "hotline_webhook_requests_total", { status: "401" })).toBe(1);
    expect(sample(metrics, "hotline_webhook_requests_total", { status: "400" })).toBe(1);
    // Exported before it ever happens, so that a rate works from the first scrape.
    expect(sample(metrics, "hotline_webhook_requests_total", { status: "413" })).toBe(0);
    expect(metrics).toContain("# TYPE hotline_webhook_requests_total counter");
  });

  test("counts events by type; types hotline does not know are 'unknown'", () => {
    expect(sample(metrics, "hotline_events_total", { type: "message" })).toBe(4);
    expect(sample(metrics, "hotline_events_total", { type: "unknown" })).toBe(1);
    expect(sample(metrics, "hotline_events_total", { type: "somethingNew" })).toBeUndefined();
  });

  test("counts deliveries by plugin and outcome", () => {
    const outcome = (plugin: string, name: string) =>
      sample(metrics, "hotline_deliveries_total", { plugin, outcome: name });
    expect(outcome("replier", "ok")).toBe(4);
    expect(outcome("caller", "ok")).toBe(4);
    // Its "hang" waits behind its "fail" (one chat, one plugin: in order), which waits to retry.
    expect(outcome("broken", "ok")).toBe(2);
    expect(outcome("broken", "retried")).toBe(1);
    expect(outcome("sleepy", "ok")).toBe(3);
    expect(outcome("sleepy", "timed_out")).toBe(1);
    expect(outcome("broken", "dead")).toBe(0);
  });

  test("has a handler latency histogram per plugin", () => {
    expect(sample(metrics, "hotline_handler_duration_seconds_count", { plugin: "replier" })).toBe(
      4,
    );
    const slow = sample(metrics, "hotline_handler_duration_seconds_sum", { plugin: "sleepy" });
    // The hung handler ran until its 200 ms deadline.
    expect(slow).toBeGreaterThanOrEqual(0.2);
    expect(
      sample(metrics, "hotline_handler_duration_seconds_bucket", { plugin: "sleepy", le: "0.1" }),
    ).toBe(3);
  });

  test("counts LINE API calls by caller, endpoint and status, retries included", () => {
    const calls = (labels: Record<string, string>) =>
      sample(metrics, "hotline_line_api_calls_total", labels);
    expect(calls({ caller: "host", endpoint: "reply", status: "2xx" })).toBe(4);
    // Made in the plugin's worker: the 500 and the retry that worked.
    expect(calls({ caller: "caller", endpoint: "getBotInfo", status: "500" })).toBe(1);
    expect(calls({ caller: "caller", endpoint: "getBotInfo", status: "2xx" })).toBe(1);
  });

  test("reports the inbox depth and the age of its oldest open event at scrape time", () => {
    expect(sample(metrics, "hotline_inbox_open_events")).toBe(2);
    expect(sample(metrics, "hotline_inbox_oldest_open_event_age_seconds")).toBe(7);
    // broken's "fail" and "hang", sleepy's "hang".
    expect(sample(metrics, "hotline_dispatch_queued_deliveries")).toBe(3);
    expect(sample(metrics, "hotline_plugins", { state: "loaded" })).toBe(4);
    expect(sample(metrics, "hotline_plugins", { state: "failed" })).toBe(0);
  });

  test("a retry that fails again is dead; a timeout then counts as dead, not timed_out", async () => {
    // Past the backoff (60 s ± 20% jitter).
    await bot.advance(80_000);
    const after = await scrape(bot.url);
    expect(sample(after, "hotline_deliveries_total", { plugin: "broken", outcome: "dead" })).toBe(
      1,
    );
    expect(sample(after, "hotline_deliveries_total", { plugin: "sleepy", outcome: "dead" })).toBe(
      1,
    );
    expect(
      sample(after, "hotline_deliveries_total", { plugin: "sleepy", outcome: "timed_out" }),
    ).toBe(1);
    expect(sample(after, "hotline_deliveries_total", { plugin: "broken", outcome: "ok" })).toBe(3);
    expect(sample(after, "hotline_inbox_open_events")).toBe(0);
    expect(sample(after, "hotline_inbox_oldest_open_event_age_seconds")).toBe(0);
  });

  test("a paused plugin's deliveries count as deferred", async () => {
    bot.hotline.plugins.setPaused("replier", true);
    await bot.deliver(event.text("anyone?"));
    const paused = await scrape(bot.url);
    expect(
      sample(paused, "hotline_deliveries_total", { plugin: "replier", outcome: "deferred" }),
    ).toBe(1);
    expect(sample(paused, "hotline_plugins", { state: "paused" })).toBe(1);
    bot.hotline.plugins.setPaused("replier", false);
    await bot.settle();
    const resumed = await scrape(bot.url);
    expect(sample(resumed, "hotline_deliveries_total", { plugin: "replier", outcome: "ok" })).toBe(
      5,
    );
  });

  test("counts plugin loads, reloads, load failures and unloads", async () => {
    const replier = dir.write("replier.ts", PLUGINS["replier.ts"]?.replace("re: ", "re2: ") ?? "");
    const oops = dir.write("oops.ts", "export default definePlugin({ name: \n");
    await bot.hotline.plugins.reload([replier, oops]);
    rmSync(dir.write("caller.ts", PLUGINS["caller.ts"] ?? ""));
    await bot.hotline.plugins.reload([`${dir.dir}/caller.ts`]);
    const text = await scrape(bot.url);
    expect(sample(text, "hotline_plugin_loads_total", { plugin: "replier" })).toBe(1);
    expect(sample(text, "hotline_plugin_reloads_total", { plugin: "replier" })).toBe(1);
    expect(sample(text, "hotline_plugin_load_failures_total", { plugin: "oops.ts" })).toBe(1);
    expect(sample(text, "hotline_plugin_unloads_total", { plugin: "caller" })).toBe(1);
    expect(sample(text, "hotline_plugins", { state: "failed" })).toBe(1);
  });

  test("each bot has its own registry: a second one in the process starts from zero", async () => {
    const other = await startTestBot();
    try {
      const text = await scrape(other.url);
      expect(sample(text, "hotline_webhook_requests_total", { status: "200" })).toBe(0);
      expect(
        sample(await scrape(bot.url), "hotline_webhook_requests_total", { status: "200" }),
      ).toBe(6);
    } finally {
      await other.stop();
    }
  });
});
