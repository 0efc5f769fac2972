import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import pino from "pino";
import {
  createPluginsDir,
  event,
  group,
  startTestBot,
  type TestBot,
} from "../../src/dev/testing/mod.ts";
import { sample, scrape } from "../metrics/prom.ts";

const FLOOD = 10_000;

/**
 * A plugin for group chats that posts, on the text naming it, a message the host never asked for
 * straight into the worker's channel to the host, as any plugin code can; otherwise it answers
 * with the id of the worker it runs in, so the test sees when the worker was replaced.
 */
const forger = `import { definePlugin } from "hotline";
const worker = crypto.randomUUID();
const post = (message) => globalThis.postMessage(message);
const FORGERIES = {
  "bad level": () => post({ type: "log", level: "x", message: "hi" }),
  "unknown type": () => post({ type: "steal-secrets" }),
  "a number": () => post(42),
  "null": () => post(null),
  "wrong field types": () => post({ type: "delivered", id: "one", error: 7 }),
  "messages that are not messages": () =>
    post({ type: "rpc", id: 1, deliveryId: undefined, method: "push", messages: [1, 2], to: "U1" }),
  "an impossible status": () =>
    post({ type: "http-response", id: 1, response: { status: 42, headers: [], body: new Uint8Array() } }),
  "a header that is not one": () =>
    post({
      type: "http-response",
      id: 1,
      response: { status: 200, headers: [["x\\r\\ninjected", "1"]], body: new Uint8Array() },
    }),
  "a manifest that is not one": () => post({ type: "loaded", manifest: { name: "Not Kebab" } }),
  "a file chunk over a row's size": () =>
    post({ type: "rpc", id: 1, method: "files.write", upload: 1, bytes: new Uint8Array((256 << 10) + 1) }),
  "a file name that is not a digest": () =>
    post({ type: "rpc", id: 1, method: "files.read", sha256: "../../etc/passwd", index: 0 }),
  "a schedule with a cron that is not one": () =>
    post({ type: "rpc", id: 1, method: "schedules.write", writes: [{ put: { id: "x", job: "j", data: null, cron: "61 * * * *" } }] }),
  "a run's schedule under an id that is not one": () =>
    post({ type: "delivered", id: 1, schedules: [{ put: { id: "../x", job: "j", data: null, at: 1 } }] }),
  "a huge message": () => post({ type: "log", level: "info", message: "x".repeat(5 << 20) }),
};
export default definePlugin({
  name: "forger",
  chats: ["group"],
  on: {
    "message:text": async (event, ctx) => {
      const text = event.message.text;
      if (text === "log long") {
        ctx.log.info("y".repeat(5 << 20));
        ctx.log.info({ big: "z".repeat(1 << 20) }, "big fields");
      }
      if (text === "flood") {
        for (let i = 0; i < ${FLOOD}; i++) post({ type: "log", level: "info", message: "flood " + i });
        await ctx.reply("flooded by worker " + worker);
        return;
      }
      if (FORGERIES[text]) {
        FORGERIES[text]();
        // The host ends this worker for it: nothing after this runs.
        await new Promise(() => {});
      }
      await ctx.reply("worker " + worker);
    },
  },
});
`;

/** Answers in 1:1 chats only, so it never shares an event with the forger. */
const bystander = `import { definePlugin } from "hotline";
export default definePlugin({
  name: "bystander",
  chats: ["user"],
  on: { "message:text": async (event, ctx) => { await ctx.reply("bystander " + event.message.text); } },
});
`;

const BUDGET = { linesPerSecond: 10, burst: 100 };

interface LogLine {
  level: number;
  msg: string;
  plugin?: string;
  reason?: string;
}
const lines: LogLine[] = [];
const written: string[] = [];
let bot: TestBot;
let plugins: ReturnType<typeof createPluginsDir>;

beforeAll(async () => {
  plugins = createPluginsDir();
  plugins.write("forger.ts", forger);
  plugins.write("bystander.ts", bystander);
  const logger = pino(
    { level: "info" },
    {
      write: (line: string) => {
        written.push(line);
        lines.push(JSON.parse(line));
      },
    },
  );
  bot = await startTestBot({
    pluginsDir: plugins.dir,
    logger,
    tuning: { pluginLogBudget: BUDGET },
  });
});
afterAll(async () => {
  await bot?.stop();
  plugins?.remove();
});

// A fresh group each time: a failed event waits for its retry at the head of its chat's lane.
let groups = 0;
const inGroup = (text: string) =>
  event.text(text, { chat: group(`C${(++groups).toString(16).padStart(32, "0")}`) });

/**
 * What the forger sent about a group event: a reply, or a push when its handler (in a worker just
 * started, on a busy machine) took longer than the reply deadline. The text is the same.
 */
function answersIn(ev: ReturnType<typeof inGroup>): Array<{ text: string }> {
  const chat = (ev.source as { groupId: string }).groupId;
  return [...bot.repliesTo(ev), ...bot.pushesTo(chat)] as Array<{ text: string }>;
}

async function workerOfForger(): Promise<string> {
  const ev = inGroup("who are you");
  await bot.deliver(ev);
  const [answer] = answersIn(ev);
  expect(answer?.text).toStartWith("worker ");
  return answer?.text ?? "";
}

/** The host still serves: another plugin answers a webhook. */
async function bystanderAnswers(timeoutMs = 3000): Promise<void> {
  const ev = event.text("still there?");
  await bot.send(ev);
  expect(await bot.waitForReply(ev, timeoutMs)).toEqual([
    { type: "text", text: "bystander still there?" },
  ]);
}

const protocolErrors = async () =>
  sample(await scrape(bot.url), "hotline_plugin_protocol_errors_total", { plugin: "forger" }) ?? 0;

describe("a plugin's worker posting what the protocol does not allow", () => {
  const kinds = [
    ["bad level", 'a message of type "log": level'],
    ["unknown type", 'a message of type "steal-secrets"'],
    ["a number", "a message that is a number"],
    ["null", "a message that is null"],
    ["wrong field types", 'a message of type "delivered": id'],
    ["messages that are not messages", 'a message of type "rpc": messages.0'],
    ["an impossible status", 'a message of type "http-response": response.status'],
    ["a header that is not one", 'a message of type "http-response": response.headers.0.0'],
    ["a manifest that is not one", 'a message of type "loaded": manifest'],
    ["a file chunk over a row's size", 'a message of type "rpc": bytes'],
    ["a file name that is not a digest", 'a message of type "rpc": sha256'],
    ["a huge message", 'a message of type "log" carries over 4194304 characters'],
  ] as const;

  for (const [kind, reason] of kinds) {
    test(`${kind}: the worker is restarted, the error counted and logged, the host serves on`, async () => {
      const before = await workerOfForger();
      const counted = await protocolErrors();
      const logged = lines.length;

      const fault = bot.waitForPlugin((e) => e.type === "protocol-error");
      await bot.send(inGroup(kind));
      expect(await fault).toMatchObject({ type: "protocol-error", name: "forger" });

      await bystanderAnswers();
      expect(await workerOfForger()).not.toBe(before);
      expect(await protocolErrors()).toBe(counted + 1);
      const terminated = lines
        .slice(logged)
        .find((line) => line.msg === "plugin worker terminated" && line.plugin === "forger");
      expect(terminated?.reason).toStartWith(`protocol error: ${reason}`);
      // Named, never quoted whole: every line logged since is short.
      for (const line of written.slice(logged)) expect(line.length).toBeLessThan(4000);
    });
  }
});

describe("a plugin logging very long lines through its logger", () => {
  test("has them clipped, not held against it", async () => {
    const before = await workerOfForger();
    const logged = written.length;
    await bot.deliver(inGroup("log long"));
    const long = lines.slice(logged).find((line) => line.msg.startsWith("yyy"))?.msg ?? "";
    const [kept = "", left] = /^(y+)… \((\d+) more characters\)$/.exec(long)?.slice(1) ?? [];
    expect(long.length).toBeLessThanOrEqual(16 << 10);
    expect(kept.length + Number(left)).toBe(5 << 20);
    expect(lines.slice(logged).find((line) => line.msg === "big fields")).toMatchObject({
      fieldsOmitted: "over 65536 characters of log fields",
    });
    for (const line of written.slice(logged)) expect(line.length).toBeLessThan(20_000);
    expect(await workerOfForger()).toBe(before);
  });
});

describe("a plugin's worker flooding the host with log lines", () => {
  test("lines over its budget are dropped and counted; the host serves on, the worker lives", async () => {
    const before = await workerOfForger();
    const errorsBefore = await protocolErrors();
    const started = performance.now();
    const ev = inGroup("flood");
    await bot.send(ev);
    // Answered while the host works through the flood (slower on a busy machine, and on Deno).
    await bystanderAnswers(10_000);
    const [reply] = await bot.line.waitFor(
      () => {
        const answers = answersIn(ev);
        return answers.length > 0 ? answers : undefined;
      },
      { timeoutMs: 10_000 },
    );
    const seconds = (performance.now() - started) / 1000;
    // The reply was posted after every line: all of them have reached the host by now.
    expect(reply?.text).toBe(`flooded by ${before}`);

    const logged = lines.filter((line) => line.msg.startsWith("flood ")).length;
    const dropped =
      sample(await scrape(bot.url), "hotline_plugin_log_lines_dropped_total", {
        plugin: "forger",
      }) ?? 0;
    // A burst goes through (less what earlier tests' lines took of it), then the steady rate.
    expect(logged).toBeGreaterThan(BUDGET.burst / 2);
    expect(logged).toBeLessThanOrEqual(
      BUDGET.burst + Math.ceil(seconds * BUDGET.linesPerSecond) + 1,
    );
    expect(logged + dropped).toBe(FLOOD);
    // Told once, not once per line.
    expect(
      lines.filter((line) => line.msg.startsWith("plugin logs faster than its budget")),
    ).toHaveLength(1);
    expect(await protocolErrors()).toBe(errorsBefore);
    expect(await workerOfForger()).toBe(before);
  });
});

describe("a plugin's module posting what the protocol does not allow while it loads", () => {
  test("fails to load, saying why; the error is counted under its file's name", async () => {
    const file = plugins.write(
      "early.ts",
      `import { definePlugin } from "hotline";
globalThis.postMessage({ type: "loaded", manifest: { name: "bystander", queries: [] } });
export default definePlugin({ name: "early", on: { follow: () => {} } });
`,
    );
    const failed = bot.waitForPlugin((e) => e.type === "failed" && e.file === file);
    await bot.hotline.plugins.reload([file]);
    const { error } = (await failed) as { error: string };
    expect(error).toStartWith('protocol error: a message of type "loaded": manifest.');
    const metrics = await scrape(bot.url);
    expect(sample(metrics, "hotline_plugin_protocol_errors_total", { plugin: "early.ts" })).toBe(1);
    // It took no one's name: the bystander it claimed to be still answers.
    await bystanderAnswers();
  });
});
