/**
 * "Acked means delivered once, even when the process dies mid-delivery": a real `bun src/main.ts`
 * is SIGKILLed at the worst moments and restarted on the same SQLite file, against a LINE
 * stand-in served by the test, which survives the bot and records every call it gets.
 */

import { Database } from "bun:sqlite";
import { afterEach, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { envelope, event, eventId, user } from "../../src/dev/events/mod.ts";
import { LineStandIn } from "../../src/dev/line-stand-in/mod.ts";
import { createPluginsDir } from "../../src/dev/testing/plugins-dir.ts";
import { BotProcess } from "./bot-process.ts";

const PROBE = fileURLToPath(new URL("./fixtures/probe.ts", import.meta.url));
const REPLY_PATH = "/v2/bot/message/reply";
const PUSH_PATH = "/v2/bot/message/push";
// Set per test: bunfig.toml's `[test] timeout` is not read by bun test, whose default is 5 s.
const TEST_TIMEOUT_MS = 20_000;

type ProbeSettings = {
  gate?: "open" | "closed";
  answer?: "reply" | "push" | "api";
  block?: boolean;
};

interface DeliveryRow {
  event_id: string;
  plugin: string;
  status: string;
  attempts: number;
  reply_attempted: number;
}

/** One bot's surroundings: the stand-in, credentials, a data dir and plugins that outlive kills. */
interface Scene {
  standIn: LineStandIn;
  lineUrl: string;
  channelSecret: string;
  channelAccessToken: string;
  dataDir: string;
  pluginsDir: string;
  configFile: string;
  plugins: string[];
  /** Rewrites the config file; the next start reads it. */
  configure(settings: ProbeSettings): void;
  start(until: "alive" | "ready", env?: Record<string, string>): Promise<BotProcess>;
}

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanups.splice(0).reverse()) await step();
});

/** Copies the probe plugin once per name: its name is its file name. */
function scene(plugins: string[]): Scene {
  const channelSecret = randomBytes(16).toString("hex");
  const channelAccessToken = `crash-token-${randomBytes(4).toString("hex")}`;
  // Real time: reply tokens must stay valid across the kill and the restart, as on LINE.
  const standIn = new LineStandIn({ channelAccessToken });
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: standIn.fetch });
  cleanups.push(() => server.stop(true));

  const dataDir = mkdtempSync(join(tmpdir(), "hotline-crash-"));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const scratch = createPluginsDir();
  cleanups.push(scratch.remove);
  for (const name of plugins) copyFileSync(PROBE, join(scratch.dir, `${name}.ts`));
  const configFile = join(dataDir, "hotline.config.json");

  const result: Scene = {
    standIn,
    lineUrl: `http://127.0.0.1:${server.port}`,
    channelSecret,
    channelAccessToken,
    dataDir,
    pluginsDir: scratch.dir,
    configFile,
    plugins,
    configure(settings) {
      const sections = Object.fromEntries(plugins.map((name) => [name, settings]));
      writeFileSync(configFile, JSON.stringify({ plugins: sections }));
    },
    async start(until, env) {
      const bot = await BotProcess.start({ ...result, until, ...(env ? { env } : {}) });
      cleanups.push(() => bot.kill());
      return bot;
    },
  };
  return result;
}

/**
 * Reads one of the bot's databases (`hotline.db`, or `plugins.db` for plugin state) without
 * writing to it, so the bot's own recovery is what is tested.
 */
function query<T>(dataDir: string, sql: string, file = "hotline.db"): T[] {
  const db = new Database(join(dataDir, file), { readonly: true });
  try {
    return db.query(sql).all() as T[];
  } finally {
    db.close();
  }
}

function deliveryRows(dataDir: string): DeliveryRow[] {
  return query<DeliveryRow>(
    dataDir,
    "SELECT event_id, plugin, status, attempts, reply_attempted FROM deliveries ORDER BY event_id, plugin",
  );
}

/** The probe's per-event run counter, from its key-value state. */
function handlerRuns(dataDir: string): Map<string, number> {
  const rows = query<{ plugin: string; key: string; value: string }>(
    dataDir,
    "SELECT plugin, key, value FROM plugin_kv WHERE key LIKE 'runs:%'",
    "plugins.db",
  );
  return new Map(
    rows.map((row) => [`${row.plugin} ${row.key.slice("runs:".length)}`, JSON.parse(row.value)]),
  );
}

function texts(messages: readonly { type: string; text?: unknown }[]): string[] {
  return messages.map((message) => String(message.text)).sort();
}

/** Issues the events' reply tokens at the stand-in (as LINE does on delivery), then posts them. */
async function send(scene: Scene, bot: BotProcess, events: object[]): Promise<number> {
  for (const item of events) {
    const token = (item as { replyToken?: string }).replyToken;
    if (token) scene.standIn.issueReplyToken(token);
  }
  const response = await bot.post(JSON.stringify(envelope(events)));
  return response.status;
}

describe("crash recovery (SIGKILL of a real bot process)", () => {
  test(
    "events acked while plugins load are handled once per plugin after a kill",
    async () => {
      const s = scene(["probe-a", "probe-b"]);
      s.configure({ gate: "closed" });
      const first = await s.start("alive", { REPLY_DEADLINE_MS: "5000" });
      // Both plugins are inside setup(), which cannot finish: the host is loading until the kill.
      for (const plugin of s.plugins) {
        await first.waitForLog(
          (line) => line.msg === "setup is waiting at the closed gate" && line.plugin === plugin,
        );
      }
      expect((await fetch(`${first.url}/readyz`)).status).toBe(503);

      const users = [0, 1, 2].map((i) => `U${String(i).repeat(32)}`);
      const events = Array.from({ length: 30 }, (_, i) =>
        event.text(`message ${i}`, { chat: user(users[i % 3]) }),
      );
      // One batch of ten in a single request, the rest one per request, all at once.
      const statuses: number[] = await Promise.all([
        send(s, first, events.slice(0, 10)),
        ...events.slice(10).map((item) => send(s, first, [item])),
      ]);
      expect(statuses).toEqual(Array<number>(21).fill(200));
      // The plugins never finished loading: nothing can have been routed before the kill.
      expect((await fetch(`${first.url}/readyz`)).status).toBe(503);
      await first.kill();

      const ids = events.map(eventId).sort();
      const stored = query<{ id: string; status: string }>(
        s.dataDir,
        "SELECT id, status FROM inbox_events ORDER BY id",
      );
      expect(stored).toEqual(ids.map((id) => ({ id, status: "pending" })));
      expect(deliveryRows(s.dataDir)).toEqual([]);
      expect(s.standIn.requests).toEqual([]);

      s.configure({ gate: "open" });
      const second = await s.start("ready", { REPLY_DEADLINE_MS: "5000" });
      const tokens = events.map((item) => item.replyToken);
      await s.standIn.waitFor(
        (standIn) => tokens.every((token) => standIn.replies.some((r) => r.replyToken === token)),
        { timeoutMs: 10_000 },
      );
      await second.stop();

      // One reply call per event, carrying both plugins' answers; nothing retried, nothing pushed.
      for (const item of events) {
        const replies = s.standIn.replies.filter((r) => r.replyToken === item.replyToken);
        expect(replies).toHaveLength(1);
        expect(texts(replies[0]?.messages ?? [])).toEqual([
          `probe-a: ${item.message.text}`,
          `probe-b: ${item.message.text}`,
        ]);
      }
      const calls = s.standIn.requests.filter((r) => r.path === REPLY_PATH);
      expect(calls.map((r) => r.status)).toEqual(Array(30).fill(200));
      expect(s.standIn.pushes).toEqual([]);

      expect(deliveryRows(s.dataDir)).toEqual(
        ids.flatMap((id) =>
          s.plugins.map((plugin) => ({
            event_id: id,
            plugin,
            status: "done",
            attempts: 1,
            reply_attempted: 1,
          })),
        ),
      );
      const runs = handlerRuns(s.dataDir);
      expect(runs.size).toBe(60);
      expect([...runs.values()].every((n) => n === 1)).toBe(true);
      expect(query(s.dataDir, "SELECT id FROM inbox_events WHERE status != 'done'")).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "a reply that reached LINE before the kill is not sent again after the restart",
    async () => {
      const s = scene(["probe-a"]);
      s.configure({ answer: "reply", block: true });
      // The reply batch flushes at this deadline while the handler still hangs. A cold worker's
      // first run (its kv calls first) may take a few hundred ms to reply on a loaded machine; a
      // reply after the deadline would be pushed, and this test is about the reply.
      const env = { REPLY_DEADLINE_MS: "1000" };
      const first = await s.start("ready", env);
      const item = event.text("are you there?", { chat: user(`U${"a".repeat(32)}`) });
      expect(await send(s, first, [item])).toBe(200);
      await s.standIn.waitFor((standIn) =>
        standIn.replies.some((r) => r.replyToken === item.replyToken),
      );
      await first.kill();

      // Killed in the window the rule is for: the reply went out, the delivery is still open.
      expect(deliveryRows(s.dataDir)).toEqual([
        {
          event_id: item.webhookEventId,
          plugin: "probe-a",
          status: "pending",
          attempts: 0,
          reply_attempted: 1,
        },
      ]);

      s.configure({ answer: "reply", block: false });
      const second = await s.start("ready", env);
      // The rerun's reply is refused, since the token was used before the kill.
      await s.standIn.waitForRequests(2, (r) => r.path === REPLY_PATH);
      await second.stop();

      expect(s.standIn.requests.filter((r) => r.path === REPLY_PATH).map((r) => r.status)).toEqual([
        200, 400,
      ]);
      const replies = s.standIn.replies.filter((r) => r.replyToken === item.replyToken);
      expect(replies.map((r) => texts(r.messages))).toEqual([["probe-a: are you there?"]]);
      expect(s.standIn.pushes).toEqual([]);
      // Counted as delivered, and said so in the log.
      expect(second.logs().filter((line) => /reply already sent/.test(line.msg))).toHaveLength(1);
      expect(deliveryRows(s.dataDir)).toEqual([
        {
          event_id: item.webhookEventId,
          plugin: "probe-a",
          status: "done",
          attempts: 1,
          reply_attempted: 1,
        },
      ]);
      // The handler did run again: exactly-once here is the reply's, not the handler's.
      expect(handlerRuns(s.dataDir).get(`probe-a ${item.webhookEventId}`)).toBe(2);
    },
    TEST_TIMEOUT_MS,
  );

  // ctx.push goes through the host; ctx.api.pushMessage is the SDK's call in the plugin's
  // worker, keyed there: the key must be the same in the restarted process's new worker.
  for (const answer of ["push", "api"] as const)
    test(
      `pushes sent before a kill (${answer === "push" ? "ctx.push" : "ctx.api.pushMessage"}) are refused as duplicates when the rerun sends them again`,
      async () => {
        const s = scene(["probe-a"]);
        s.configure({ answer, block: true });
        const first = await s.start("ready");
        const chat = `U${"b".repeat(32)}`;
        const item = event.text("ping", { chat: user(chat) });
        expect(await send(s, first, [item])).toBe(200);
        await s.standIn.waitFor((standIn) => standIn.pushes.length > 0);
        await first.kill();

        expect(deliveryRows(s.dataDir).map((row) => [row.status, row.attempts])).toEqual([
          ["pending", 0],
        ]);
        const pushCalls = () => s.standIn.requests.filter((r) => r.path === PUSH_PATH);

        s.configure({ answer, block: false });
        // A push the dead process had in flight may be recorded late, but it arrived before this.
        const restartedAt = Date.now();
        const rerunCalls = () => pushCalls().filter((r) => r.at >= restartedAt);
        const second = await s.start("ready");
        await s.standIn.waitFor(() => rerunCalls().length >= 2);
        await second.stop();

        // Each push accepted once, to the event's chat, whatever the kill interrupted.
        expect(s.standIn.pushes.map((p) => [p.to, texts(p.messages)])).toEqual([
          [chat, ["probe-a push 1: ping"]],
          [chat, ["probe-a push 2: ping"]],
        ]);
        const keys = s.standIn.pushes.map((p) => p.retryKey);
        expect(new Set(keys).size).toBe(2);
        // The rerun reused the first push's retry key, and LINE refused it as already accepted.
        const rerun = rerunCalls();
        expect(rerun.map((r) => r.retryKey)).toEqual(keys);
        expect(rerun[0]?.status).toBe(409);
        expect(pushCalls().every((r) => keys.includes(r.retryKey))).toBe(true);

        expect(deliveryRows(s.dataDir).map((row) => [row.status, row.attempts])).toEqual([
          ["done", 1],
        ]);
        expect(handlerRuns(s.dataDir).get(`probe-a ${item.webhookEventId}`)).toBe(2);
      },
      TEST_TIMEOUT_MS,
    );
});
