/**
 * The programming model across a SIGKILL of a real `bun src/main.ts`: a dialog in progress goes on
 * with the restarted bot, and a reminder scheduled before the kill is pushed once, after it.
 */
import { Database } from "bun:sqlite";
import { afterEach, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { envelope, event, user } from "../../src/dev/events/mod.ts";
import { LineStandIn } from "../../src/dev/line-stand-in/mod.ts";
import { createPluginsDir } from "../../src/dev/testing/plugins-dir.ts";
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

/** A stand-in, a data directory and plugins that outlive the bot processes started on them. */
function scene(pluginFiles: Record<string, string>) {
  const channelSecret = randomBytes(16).toString("hex");
  const channelAccessToken = `kill-token-${randomBytes(4).toString("hex")}`;
  const standIn = new LineStandIn({ channelAccessToken });
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: standIn.fetch });
  cleanups.push(() => server.stop(true));
  const dataDir = mkdtempSync(join(tmpdir(), "hotline-kill-"));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const plugins = createPluginsDir();
  cleanups.push(plugins.remove);
  for (const [file, source] of Object.entries(pluginFiles)) plugins.write(file, source);
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
  return { standIn, dataDir, chat, start, ask };
}

test("a dialog goes on after the bot is killed between two questions", async () => {
  const { dataDir, chat, start, ask } = scene({ "notes.ts": notesPlugin() });
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

test("a reminder set before a kill is pushed once, by the restarted bot", async () => {
  const reminder = readFileSync(
    new URL("../../plugins/reminder/index.ts", import.meta.url),
    "utf8",
  );
  const when = readFileSync(new URL("../../plugins/reminder/when.ts", import.meta.url), "utf8");
  const { standIn, chat, start, ask } = scene({
    "reminder/index.ts": reminder,
    "reminder/when.ts": when,
  });
  const first = await start();
  const [confirmation] = await ask(first, "remind me in 3 seconds to stretch");
  expect(confirmation).toContain(": stretch");
  await first.kill();
  const second = await start();
  const pushed = () => standIn.pushes.filter((push) => push.to === chat.userId);
  await standIn.waitFor(() => pushed().length > 0, { timeoutMs: 15_000 });
  expect(pushed().flatMap((push) => push.messages)).toEqual([{ type: "text", text: "⏰ stretch" }]);
  // Its run settled: the schedule is done, and a later restart sends nothing again.
  await second.waitForLog((line) => line.msg === "job run" && line.outcome === "done", 10_000);
  await second.stop();
  await (await start()).stop();
  expect(pushed()).toHaveLength(1);
}, 60_000);
