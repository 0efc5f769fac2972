/**
 * A dialog in progress crosses a SIGKILL: a real `bun src/main.ts` asks the first question, is
 * killed the moment LINE has the reply, and the restarted bot on the same data reads the next text
 * as the answer, not as chat.
 */
import { Database } from "bun:sqlite";
import { afterEach, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { envelope, event, user } from "../../src/dev/events/mod.ts";
import { LineStandIn } from "../../src/dev/line-stand-in/mod.ts";
import { createPluginsDir } from "../../src/dev/testing/bot.ts";
import { notesPlugin } from "../sdk/fixtures/notes-plugin.ts";
import { BotProcess } from "./bot-process.ts";

/** Whether the event's delivery was settled when the bot died (read without writing). */
function settledBefore(dataDir: string, eventId: string): boolean {
  const db = new Database(join(dataDir, "hotline.db"), { readonly: true });
  try {
    const row = db.query("SELECT status FROM deliveries WHERE event_id = ?").get(eventId);
    return (row as { status?: string } | null)?.status === "done";
  } finally {
    db.close();
  }
}

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanups.splice(0).reverse()) await step();
});

test("a dialog goes on after the bot is killed between two questions", async () => {
  const channelSecret = randomBytes(16).toString("hex");
  const channelAccessToken = `dialog-token-${randomBytes(4).toString("hex")}`;
  const standIn = new LineStandIn({ channelAccessToken });
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: standIn.fetch });
  cleanups.push(() => server.stop(true));
  const dataDir = mkdtempSync(join(tmpdir(), "hotline-dialog-"));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const plugins = createPluginsDir();
  cleanups.push(plugins.remove);
  plugins.write("notes.ts", notesPlugin());
  const configFile = join(dataDir, "hotline.config.json");
  writeFileSync(configFile, "{}");
  const start = async () => {
    const options = { channelSecret, channelAccessToken, dataDir, configFile };
    const lineUrl = `http://127.0.0.1:${server.port}`;
    const bot = await BotProcess.start({
      ...options,
      lineUrl,
      pluginsDir: plugins.dir,
      until: "ready",
    });
    cleanups.push(() => bot.kill());
    return bot;
  };
  const chat = user(`U${randomBytes(16).toString("hex")}`);
  const ask = async (bot: BotProcess, text: string, sent = event.text(text, { chat })) => {
    standIn.issueReplyToken(sent.replyToken);
    expect((await bot.post(JSON.stringify(envelope([sent])))).status).toBe(200);
    const reply = await standIn.waitFor(
      (s) => s.replies.find((r) => r.replyToken === sent.replyToken),
      { timeoutMs: 15_000 },
    );
    return reply.messages.map((message) => (message as { text?: string }).text);
  };

  const first = await start();
  const survey = event.text("survey", { chat });
  expect(await ask(first, "survey", survey)).toEqual(["Your name?"]);
  await first.kill();

  // Killed after LINE had the question, maybe before its run settled: the restarted bot then runs
  // it again first (the token is used, so nothing is sent twice). The user, having read the
  // question, answers after that; the test too.
  const settled = settledBefore(dataDir, survey.webhookEventId);
  const second = await start();
  if (!settled)
    await second.waitForLog(
      (line) => line.msg === "delivery" && line.webhookEventId === survey.webhookEventId,
      15_000,
    );
  expect(await ask(second, "Ann")).toEqual(["Your age?"]);
  expect(await ask(second, "30")).toEqual(["Thanks, Ann (30)"]);
}, 60_000);
