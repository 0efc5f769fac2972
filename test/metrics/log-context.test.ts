/**
 * Log lines about an event carry its webhookEventId, also where they come from deep down: the LINE
 * client's retry warnings (host side and inside a plugin's worker) and a worker killed by the
 * event's handler.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { parseEnv } from "../../src/config/env.ts";
import { type LocalHotline, startLocalHotline } from "../../src/dev/local-mode.ts";
import { createPluginsDir, envelope, event, signBody } from "../../src/dev/testing/mod.ts";

interface Line {
  msg: string;
  webhookEventId?: string;
  webhookEventIds?: string[];
  endpoint?: string;
  plugin?: string;
}

const PLUGINS: Record<string, string> = {
  "talker.ts": `import { definePlugin } from "hotline";
export default definePlugin({
  name: "talker",
  on: {
    "message:text": async (event, ctx) => {
      if (event.message.text !== "talk") return;
      await ctx.api.getBotInfo();
      await ctx.push("pushed");
      await ctx.reply("replied");
    },
  },
});
`,
  "blocker.ts": `import { definePlugin } from "hotline";
export default definePlugin({
  name: "blocker",
  timeoutMs: 100,
  on: { "message:text": (event) => { if (event.message.text === "block") while (true) {} } },
});
`,
};

const lines: Line[] = [];
const listeners = new Set<() => void>();
function record(text: string): void {
  lines.push(JSON.parse(text));
  for (const listener of listeners) listener();
}
/** The first log line that matches, once it is written. */
function waitForLine(match: (line: Line) => boolean): Promise<Line> {
  return new Promise((resolve) => {
    const check = () => {
      const found = lines.find(match);
      if (!found) return;
      listeners.delete(check);
      resolve(found);
    };
    listeners.add(check);
    check();
  });
}
const plugins = createPluginsDir();
let dataDir: string;
let local: LocalHotline;

async function post(made: { webhookEventId: string }): Promise<void> {
  const body = JSON.stringify(envelope([made], local.standIn.botUserId));
  const response = await fetch(local.hotline.webhookUrl, {
    method: "POST",
    headers: { "x-line-signature": signBody(local.channelSecret, body) },
    body,
  });
  expect(response.status).toBe(200);
  await response.text();
}

beforeAll(async () => {
  for (const [file, source] of Object.entries(PLUGINS)) plugins.write(file, source);
  dataDir = mkdtempSync(join(tmpdir(), "hotline-logs-"));
  local = await startLocalHotline({
    env: parseEnv({
      PORT: "0",
      HOST: "127.0.0.1",
      DATA_DIR: dataDir,
      PLUGINS_DIR: plugins.dir,
      CONFIG_FILE: join(dataDir, "none.json"),
      LOG_LEVEL: "debug",
    }),
    log: pino({ level: "debug" }, { write: record }),
    tuning: {
      lineRetry: { retries: 2, baseDelayMs: 1, maxDelayMs: 5 },
      hangGraceMs: 100,
      watch: false,
    },
  });
});
afterAll(async () => {
  await local?.stop();
  plugins.remove();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("log lines about an event name it", () => {
  test("LINE API retries: the reply and the push (host), and ctx.api (in the worker)", async () => {
    const { standIn } = local;
    for (const path of ["/v2/bot/message/reply", "/v2/bot/message/push", "/v2/bot/info"])
      standIn.fault({ path, status: 500 });
    const talk = event.text("talk");
    await post(talk);
    await standIn.waitFor((s) => s.replies.length > 0);
    await local.hotline.dispatcher.idle();

    const retries = lines.filter((line) => line.msg === "LINE API call failed, retrying");
    expect(retries.map((line) => line.endpoint).sort()).toEqual(["getBotInfo", "push", "reply"]);
    for (const line of retries) expect(line.webhookEventId).toBe(talk.webhookEventId);
    const about = (msg: string) => lines.find((line) => line.msg === msg);
    expect(about("pushed")?.webhookEventId).toBe(talk.webhookEventId);
    expect(about("replied")?.webhookEventId).toBe(talk.webhookEventId);
    expect(about("delivery")?.webhookEventId).toBe(talk.webhookEventId);
  });

  test("a worker killed because the event's handler blocked it", async () => {
    const block = event.text("block");
    await post(block);
    const killed = await waitForLine((line) => line.msg === "plugin worker terminated");
    expect(killed.webhookEventIds).toEqual([block.webhookEventId]);
  });
});
