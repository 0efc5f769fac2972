/**
 * A plugin written for SQLite alone (drizzle's sqliteTable) on PostgreSQL: it is refused at load
 * with the reason, and its deliveries wait for a version that can run there.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createPluginsDir,
  event,
  group,
  startTestBot,
  type TestBot,
} from "../../src/dev/testing/mod.ts";
import { freshSchema, TEST_DATABASE_URL } from "../helpers/postgres.ts";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Notes texts; `tables` is how its table is declared. */
const notes = (tables: "neutral" | "sqlite", handler: string) => `
import { definePlugin } from "hotline";
${
  tables === "neutral"
    ? 'import { table, text } from "hotline/db";'
    : 'import { sqliteTable as table, text } from "drizzle-orm/sqlite-core";'
}
export const notes = table("notes__entries", { id: text("id").primaryKey() });
export default definePlugin({
  name: "notes",
  tables: { notes },
  on: { "message:text": async (event, ctx) => { ${handler} } },
});
`;

describe.skipIf(!TEST_DATABASE_URL)("a SQLite-only plugin on PostgreSQL", () => {
  test("fails to load, saying why; its deliveries wait, and run once a portable version loads", async () => {
    const schema = freshSchema();
    cleanups.push(() => schema.drop());
    const plugins = createPluginsDir();
    cleanups.push(plugins.remove);
    const dataDir = mkdtempSync(join(tmpdir(), "hotline-sqlite-only-"));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const start = async () => {
      const bot = await startTestBot({
        pluginsDir: plugins.dir,
        dataDir,
        env: { DATABASE_URL: schema.url },
      });
      cleanups.push(() => bot.stop());
      return bot;
    };
    const file = plugins.write("notes.ts", notes("neutral", 'throw new Error("not yet");'));

    // Routed to the plugin while a version that loads on PostgreSQL ran; it failed once.
    let bot: TestBot = await start();
    const ev = event.text("keep this", { chat: group("C00000000000000000000000000000001") });
    await bot.deliver(ev);
    expect(await bot.deliveries(ev.webhookEventId)).toMatchObject([{ status: "retry" }]);
    await bot.stop();

    // After a restart with the SQLite-only version: refused, and the delivery stays open.
    plugins.write("notes.ts", notes("sqlite", 'await ctx.reply("noted");'));
    bot = await start();
    expect(bot.hotline.plugins.statuses()).toMatchObject([
      {
        file: "notes.ts",
        state: "failed",
        error:
          'plugin tables: table "notes__entries" is a SQLite table (sqliteTable): on PostgreSQL, declare it with table() from "hotline/db"',
      },
    ]);
    await bot.advance(60_000);
    expect(await bot.deliveries(ev.webhookEventId)).toMatchObject([
      { plugin: "notes", status: "retry", attempts: 1 },
    ]);
    expect(bot.repliesTo(ev)).toEqual([]);

    // The portable version loads, and the waiting delivery runs.
    const loaded = bot.waitForPlugin((e) => e.type === "loaded" && e.name === "notes");
    plugins.write("notes.ts", notes("neutral", 'await ctx.push("noted");'));
    await bot.hotline.plugins.reload([file]);
    await loaded;
    // Its "available" change wakes the dispatcher, which claims the waiting delivery.
    await bot.line.waitFor((line) => line.pushes.length > 0);
    await bot.settle();
    expect(await bot.deliveries(ev.webhookEventId)).toMatchObject([{ status: "done" }]);
    expect(bot.sentTexts()).toEqual(["noted"]);
  });
});
