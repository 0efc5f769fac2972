/**
 * Schedules across SIGKILL: a real `bun src/main.ts` is killed while a job's run has pushed but
 * not settled, or while a run is still to come, and started again on the same SQLite file
 * against a LINE stand-in that outlives it.
 */
import { Database } from "bun:sqlite";
import { afterEach, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { envelope, event, user } from "../../src/dev/events/mod.ts";
import { LineStandIn } from "../../src/dev/line-stand-in/mod.ts";
import { createPluginsDir } from "../../src/dev/testing/plugins-dir.ts";
import { BotProcess } from "./bot-process.ts";

const ALARM = fileURLToPath(new URL("./fixtures/alarm.ts", import.meta.url));
const PUSH_PATH = "/v2/bot/message/push";
const TEST_TIMEOUT_MS = 20_000;

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const step of cleanups.splice(0).reverse()) await step();
});

function scene() {
  const channelSecret = randomBytes(16).toString("hex");
  const channelAccessToken = `crash-token-${randomBytes(4).toString("hex")}`;
  const standIn = new LineStandIn({ channelAccessToken });
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: standIn.fetch });
  cleanups.push(() => server.stop(true));
  const dataDir = mkdtempSync(join(tmpdir(), "hotline-crash-"));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const scratch = createPluginsDir();
  cleanups.push(scratch.remove);
  copyFileSync(ALARM, join(scratch.dir, "alarm.ts"));
  const configFile = join(dataDir, "hotline.config.json");
  const options = {
    channelSecret,
    channelAccessToken,
    lineUrl: `http://127.0.0.1:${server.port}`,
    dataDir,
    pluginsDir: scratch.dir,
    configFile,
  };
  return {
    standIn,
    dataDir,
    async start(settings: { block: boolean }) {
      writeFileSync(configFile, JSON.stringify({ plugins: { alarm: settings } }));
      const bot = await BotProcess.start({ ...options, until: "ready" });
      cleanups.push(() => bot.kill());
      return bot;
    },
  };
}

/** Reads `hotline.db` or `plugins.db` without writing to it: the bot's recovery is under test. */
function query<T>(dataDir: string, sql: string, file = "hotline.db"): T[] {
  const db = new Database(join(dataDir, file), { readonly: true });
  try {
    return db.query(sql).all() as T[];
  } finally {
    db.close();
  }
}

const scheduleRows = (dataDir: string) =>
  query<{ id: string; status: string; attempts: number }>(
    dataDir,
    "SELECT id, status, attempts FROM schedules WHERE plugin = 'alarm'",
  );

const ringRuns = (dataDir: string) =>
  query<{ value: string }>(
    dataDir,
    "SELECT value FROM plugin_kv WHERE plugin = 'alarm' AND key = 'runs:ring'",
    "plugins.db",
  ).map((row) => JSON.parse(row.value) as number);

/** Sends "set <ms>" from the chat; resolves with the ring's time, from the bot's reply. */
async function setAlarm(
  s: ReturnType<typeof scene>,
  bot: BotProcess,
  chat: string,
  ms: number,
): Promise<number> {
  const sent = event.text(`set ${ms}`, { chat: user(chat) });
  s.standIn.issueReplyToken(sent.replyToken);
  expect((await bot.post(JSON.stringify(envelope([sent])))).status).toBe(200);
  const reply = await s.standIn.waitFor(() =>
    s.standIn.replies.find((r) => r.replyToken === sent.replyToken),
  );
  return Number(
    String((reply.messages[0] as { text?: string }).text)
      .split(" ")
      .pop(),
  );
}

describe("schedules across a kill (SIGKILL of a real bot process)", () => {
  test(
    "a run killed between its pushes and its settlement sends nothing twice after the restart",
    async () => {
      const s = scene();
      const chat = `U${"d".repeat(32)}`;
      const first = await s.start({ block: true });
      await setAlarm(s, first, chat, 0);
      await s.standIn.waitFor(() => s.standIn.pushes.length >= 2);
      await first.kill();
      expect(scheduleRows(s.dataDir)).toEqual([
        { id: "alarm:ring", status: "running", attempts: 0 },
      ]);

      const restartedAt = Date.now();
      const pushCalls = () => s.standIn.requests.filter((r) => r.path === PUSH_PATH);
      const rerun = () => pushCalls().filter((r) => r.at >= restartedAt);
      const second = await s.start({ block: false });
      await s.standIn.waitFor(() => rerun().length >= 2);
      await second.stop();

      expect(s.standIn.pushes.map((p) => [p.to, p.messages.map((m) => m.text)])).toEqual([
        [chat, ["ring 1"]],
        [chat, ["ring 2"]],
      ]);
      const keys = s.standIn.pushes.map((p) => p.retryKey);
      expect(new Set(keys).size).toBe(2);
      // The rerun pushed under the first run's keys, and LINE refused both as already accepted.
      expect(rerun().map((r) => [r.retryKey, r.status])).toEqual(keys.map((key) => [key, 409]));
      expect(scheduleRows(s.dataDir)).toEqual([{ id: "alarm:ring", status: "done", attempts: 0 }]);
      // The job did run twice: exactly once is its pushes', not the handler's.
      expect(ringRuns(s.dataDir)).toEqual([2]);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "a run that came due while the bot was down runs within seconds of its start",
    async () => {
      const s = scene();
      const chat = `U${"e".repeat(32)}`;
      const first = await s.start({ block: false });
      const due = await setAlarm(s, first, chat, 1500);
      // The schedule is saved with the delivery's settlement, which may follow the reply.
      await first.waitForLog((line) => line.msg === "delivery" && line.plugin === "alarm");
      await first.kill();
      expect(s.standIn.pushes).toEqual([]);
      expect(scheduleRows(s.dataDir)).toEqual([
        { id: "alarm:ring", status: "scheduled", attempts: 0 },
      ]);

      const second = await s.start({ block: false });
      const readyAt = Date.now();
      await s.standIn.waitFor(() => s.standIn.pushes.length >= 2, { timeoutMs: 10_000 });
      await second.stop();

      const [ring] = s.standIn.requests.filter((r) => r.path === PUSH_PATH);
      expect(ring?.at).toBeGreaterThanOrEqual(due);
      expect(ring?.at ?? Number.POSITIVE_INFINITY).toBeLessThan(Math.max(due, readyAt) + 3000);
      expect(scheduleRows(s.dataDir)).toEqual([{ id: "alarm:ring", status: "done", attempts: 0 }]);
      expect(ringRuns(s.dataDir)).toEqual([1]);
    },
    TEST_TIMEOUT_MS,
  );
});
