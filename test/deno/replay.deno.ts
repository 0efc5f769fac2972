/**
 * Fixtures under Deno: `export-fixture` reads a bot's SQLite store read-only through node:sqlite,
 * anonymizes it, and the test kit's `bot.replay` plays it back green on another bot.
 */
import assert from "node:assert/strict";
import { exportFixture } from "../../src/dev/replay/export-fixture.ts";
import {
  createPluginsDir,
  event,
  parseFixture,
  startTestBot,
  user,
} from "../../src/dev/testing/mod.ts";
import { Deno } from "./deno-api.ts";

const ECHO = `import { definePlugin } from "hotline";
export default definePlugin({
  name: "echo-count",
  on: { "message:text": async (event, ctx) => {
    const n = ((await ctx.kv.get("n")) ?? 0) + 1;
    await ctx.kv.set("n", n);
    await ctx.reply(n + ": " + event.message.text);
  } },
});
`;
const PERSON = `U${"5".repeat(32)}`;

Deno.test({
  name: "an exported, anonymized fixture replays green in the test kit on Deno",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const plugins = createPluginsDir();
    const file = plugins.write("echo-count.ts", ECHO);
    const live = await startTestBot({ plugins: [file] });
    try {
      const base = Date.now() - 60_000;
      await live.deliver(event.text("good morning", { chat: user(PERSON), timestamp: base }));
      await live.deliver(event.text("see you later", { chat: user(PERSON), timestamp: base + 1 }));
      let out = "";
      const code = await exportFixture(["--chat", `user:${PERSON}`, "--anonymize"], {
        env: { DATA_DIR: live.dataDir },
        out: (text) => {
          out += text;
        },
        err: () => {},
      });
      assert.equal(code, 0);
      assert.ok(!out.includes(PERSON) && !out.includes("morning"));
      const fixture = parseFixture(JSON.parse(out));
      const sandbox = await startTestBot({ plugins: [file] });
      try {
        const result = await sandbox.replay(fixture);
        assert.equal(result.events.length, 2);
        assert.deepEqual(result.actual, result.expected);
        assert.equal(result.changed, 0);
      } finally {
        await sandbox.stop();
      }
    } finally {
      await live.stop();
      plugins.remove();
    }
  },
});

Deno.test({
  name: "shadow runs under Deno: the next version's answer recorded, only the live one sent",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const plugins = createPluginsDir();
    plugins.write("echo-count.ts", ECHO);
    plugins.write("echo-count.next.ts", ECHO.replace('n + ": "', '"next " + n + ": "'));
    const bot = await startTestBot({
      pluginsDir: plugins.dir,
      settings: { "echo-count": { shadow: true } },
    });
    try {
      const hi = event.text("hi", { chat: user(PERSON) });
      await bot.deliver(hi);
      assert.deepEqual(bot.repliesTo(hi), [{ type: "text", text: "1: hi" }]);
      const shadow = bot.hotline.shadow?.log.answersTo(hi.webhookEventId)["echo-count"];
      assert.deepEqual(shadow?.sent, [
        { via: "reply", messages: [{ type: "text", text: "next 1: hi" }] },
      ]);
      assert.equal(shadow?.error, null);
    } finally {
      await bot.stop();
      plugins.remove();
    }
  },
});
