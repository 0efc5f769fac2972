/**
 * Hot-reload figures: reload latency (file write → the new version answering), events lost or
 * doubled while reloading under steady load, RSS across many reloads, and the cost of the
 * isolation boundary (a worker per plugin) against a direct in-process call.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { envelope } from "../src/dev/events/mod.ts";
import {
  createPluginsDir,
  event,
  signBody,
  startTestBot,
  type TestBot,
} from "../src/dev/testing/mod.ts";
import { fmt, median, mib, percentile, type Row } from "./stats.ts";

const versioned = (version: number, payloadBytes = 0) => `
import { definePlugin } from "hotline";
// Held in memory by this version only: a leak across reloads would show in RSS.
const ballast = new Uint8Array(${payloadBytes}).fill(${version % 251});
export default definePlugin({
  name: "reloading",
  on: { "message:text": (event, ctx) => ctx.reply("v${version}:" + ballast.length) },
});
`;

async function withBot<T>(
  source: string,
  watch: boolean,
  run: (bot: TestBot, file: string) => Promise<T>,
): Promise<T> {
  const scratch = createPluginsDir();
  const file = scratch.write("reloading.ts", source);
  // The production debounce, so the latency is what a user sees.
  const bot = await startTestBot({ pluginsDir: scratch.dir, tuning: { watch, debounceMs: 100 } });
  try {
    return await run(bot, file);
  } finally {
    await bot.stop();
    scratch.remove();
  }
}

/** Write → the watcher notices → the new worker loads → an event is answered by it. */
export async function reloadLatency(reloads: number): Promise<{ rows: Row[]; p95Ms: number }> {
  const latencies = await withBot(versioned(0), true, async (bot, file) => {
    const samples: number[] = [];
    for (let v = 1; v <= reloads; v++) {
      const loaded = bot.waitForPlugin((e) => e.type === "loaded" && e.reload);
      const written = performance.now();
      writeFileSync(file, versioned(v));
      await loaded;
      const probe = event.text("which version?");
      await bot.send(probe);
      const reply = (await bot.waitForReply(probe)) as Array<{ text: string }>;
      if (!reply[0]?.text.startsWith(`v${v}:`))
        throw new Error(`expected v${v}, got ${reply[0]?.text}`);
      samples.push(performance.now() - written);
    }
    return samples;
  });
  const p95Ms = percentile(latencies, 95);
  const rows = [
    {
      section: "hot reload",
      metric: "reload latency p50",
      value: `${fmt(median(latencies))} ms`,
      note: `${reloads} reloads, write → new version replies (100 ms debounce included)`,
    },
    { section: "hot reload", metric: "reload latency p95", value: `${fmt(p95Ms)} ms` },
  ];
  return { rows, p95Ms };
}

/** A steady stream of events while the plugin is rewritten every `everyMs`: none lost, none doubled. */
export async function reloadUnderLoad(
  seconds: number,
  eventsPerSecond: number,
  everyMs: number,
): Promise<Row[]> {
  return withBot(versioned(0), true, async (bot, file) => {
    const total = seconds * eventsPerSecond;
    const events = Array.from({ length: total }, (_, i) =>
      event.text(`n${i}`, {
        chat: { type: "user", userId: `U${(i % 50).toString(16).padStart(32, "0")}` },
      }),
    );
    let version = 0;
    const rewrite = setInterval(() => writeFileSync(file, versioned(++version)), everyMs);
    const started = performance.now();
    const acks: Promise<Response>[] = [];
    for (let i = 0; i < total; i++) {
      const due = started + (i * 1000) / eventsPerSecond;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const e = events[i] as (typeof events)[number];
      bot.line.issueReplyToken(e.replyToken as string);
      const body = JSON.stringify(envelope([e]));
      acks.push(
        fetch(bot.webhookUrl, {
          method: "POST",
          headers: { "x-line-signature": signBody(bot.secret, body) },
          body,
        }),
      );
    }
    const statuses = await Promise.all(acks.map(async (a) => (await a).status));
    clearInterval(rewrite);
    const acked = statuses.filter((s) => s === 200).length;
    // Every acked event must end with exactly one reply; wait (bounded) for the tail to drain.
    await bot.line
      .waitFor(() => bot.line.replies.length >= acked || undefined, { timeoutMs: 30_000 })
      .catch(() => undefined);
    await bot.settle();
    const replies = new Map<string, number>();
    for (const reply of bot.line.replies)
      replies.set(reply.replyToken, (replies.get(reply.replyToken) ?? 0) + 1);
    const pushed = bot.line.pushes.length;
    const lost = events.filter((e) => !replies.has(e.replyToken as string)).length - pushed;
    const doubled = [...replies.values()].filter((n) => n > 1).length;
    return [
      {
        section: "hot reload",
        metric: "events lost while reloading",
        value: String(Math.max(0, lost)),
        note: `${acked}/${total} acked at ${eventsPerSecond}/s for ${seconds} s, reload every ${everyMs} ms (${version} reloads)`,
      },
      {
        section: "hot reload",
        metric: "events doubled while reloading",
        value: String(doubled),
        note: pushed ? `${pushed} sent by push fallback` : undefined,
      },
    ];
  });
}

/** RSS of the whole process (workers are threads in it) before and after many reloads. */
export async function reloadMemory(reloads: number): Promise<{ rows: Row[]; growthBytes: number }> {
  return withBot(versioned(0, 1 << 20), false, async (bot, file) => {
    const gc = () => (globalThis as { Bun?: { gc(full: boolean): void } }).Bun?.gc(true);
    await bot.hotline.plugins.reload([file]);
    gc();
    const before = process.memoryUsage().rss;
    for (let v = 1; v <= reloads; v++) {
      writeFileSync(file, versioned(v, 1 << 20));
      await bot.hotline.plugins.reload([file]);
    }
    // Retired workers finish their drain and terminate asynchronously.
    await bot.settle();
    gc();
    const after = process.memoryUsage().rss;
    const rows = [
      { section: "hot reload", metric: "RSS before reloads", value: `${fmt(mib(before))} MiB` },
      {
        section: "hot reload",
        metric: `RSS after ${reloads} reloads`,
        value: `${fmt(mib(after))} MiB`,
        note: `each version holds 1 MiB; growth ${fmt(mib(after - before))} MiB (limit 50)`,
      },
    ];
    return { rows, growthBytes: after - before };
  });
}

/** Events/s through a plugin in its worker vs the same handler called directly, same run. */
export async function isolationOverhead(events: number): Promise<Row[]> {
  const source = `
import { definePlugin } from "hotline";
export default definePlugin({ name: "noop", on: { "message:text": () => {} } });
`;
  const scratch = createPluginsDir();
  const file = scratch.write("noop.ts", source);
  const bot = await startTestBot({ pluginsDir: scratch.dir });
  try {
    const module = (await import(file)) as {
      default: { on: { "message:text": (e: unknown, c: unknown) => unknown } };
    };
    const handler = module.default.on["message:text"];
    const sample = event.text("x");
    const ctx = {};
    let t = performance.now();
    for (let i = 0; i < events; i++) await handler(sample, ctx);
    const direct = events / ((performance.now() - t) / 1000);

    const { PluginWorker } = await import("../src/plugin-host/plugin-worker.ts");
    const { parseEvent } = await import("../src/core/parsed-event.ts");
    const { DEFAULT_TUNING } = await import("../src/config/options.ts");
    const { silentLogger } = await import("../src/logging/logger.ts");
    const { pluginSchedules } = await import("../src/schedules/service.ts");
    const worker = await PluginWorker.start({
      moduleUrl: new URL(`file://${join(scratch.dir, "noop.ts")}`).href,
      settings: {},
      env: {
        dataDir: bot.dataDir,
        apiBaseUrl: "http://127.0.0.1:9",
        dataApiBaseUrl: "http://127.0.0.1:9",
        lineCapability: "x",
        publicUrl: "",
        retry: DEFAULT_TUNING.lineRetry,
      },
      state: {
        plugins: bot.hotline.pluginState,
        users: bot.hotline.store,
        now: () => bot.clock.now(),
      },
      workerState: {
        dialect: bot.hotline.pluginState.dialect,
        transactionTimeoutMs: DEFAULT_TUNING.pluginState.transactionTimeoutMs,
        files: bot.hotline.pluginState.files ? "store" : "local",
      },
      clock: bot.clock,
      log: silentLogger,
      loadTimeoutMs: 10_000,
      idleMs: 0,
      hangGraceMs: 1000,
      pushOutsideEvent: async () => {},
      postbackKey: () => new Uint8Array(32),
      schedules: pluginSchedules(bot.hotline.store, bot.clock),
      logBudget: DEFAULT_TUNING.pluginLogBudget,
    });
    const job = {
      eventId: "bench",
      parsed: parseEvent(sample, 0),
      destination: undefined,
      chat: undefined,
      attempt: 1,
      sessions: {},
      reply: async () => {},
      push: async () => {},
    };
    t = performance.now();
    const inFlight = 32;
    let next = 0;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next++ < events) await worker.deliver(job, { as: "handlers" }, 30_000);
      }),
    );
    const isolated = events / ((performance.now() - t) / 1000);
    await worker.retire(0);
    return [
      {
        section: "isolation",
        metric: "direct in-process call",
        value: `${fmt(direct, 0)} events/s`,
        note: "baseline",
      },
      {
        section: "isolation",
        metric: "through the plugin's worker",
        value: `${fmt(isolated, 0)} events/s`,
        note: `${fmt(isolated / direct, 3)}× the baseline; ${fmt(1e6 / isolated - 1e6 / direct, 1)} µs per event`,
      },
    ];
  } finally {
    await bot.stop();
    scratch.remove();
  }
}
