import { afterEach, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createPluginsDir, event, startTestBot, type TestBot } from "../../src/testing/mod.ts";

let bot: TestBot | undefined;
let scratch: ReturnType<typeof createPluginsDir> | undefined;
afterEach(async () => {
  await bot?.stop();
  scratch?.remove();
  bot = undefined;
  scratch = undefined;
});

const counter = (extraColumn = "") => `
import { definePlugin, eq, integer, sql, sqliteTable, text } from "hotline";
export const counts = sqliteTable("counter_counts", {
  userId: text("user_id").primaryKey(),
  n: integer("n").notNull().default(0),
  ${extraColumn}
});
export default definePlugin({
  name: "counter",
  tables: { counts },
  on: {
    "message:text": async (event, ctx) => {
      const userId = event.source?.userId ?? "nobody";
      ctx.db.insert(counts).values({ userId, n: 1 })
        .onConflictDoUpdate({ target: counts.userId, set: { n: sql\`n + 1\` } }).run();
      const row = ctx.db.select().from(counts).where(eq(counts.userId, userId)).get();
      await ctx.reply(JSON.stringify(row));
    },
  },
});
`;

describe("plugin tables", () => {
  test("are created at load, and typed queries work across events", async () => {
    scratch = createPluginsDir();
    scratch.write("counter.ts", counter());
    bot = await startTestBot({ pluginsDir: scratch.dir });
    const first = event.text("a");
    const second = event.text("b");
    await bot.deliver(first);
    await bot.deliver(second);
    expect(bot.sentTexts().map((t) => JSON.parse(t).n)).toEqual([1, 2]);
  });

  test("a new nullable column is added on reload, keeping the rows", async () => {
    scratch = createPluginsDir();
    const file = scratch.write("counter.ts", counter());
    bot = await startTestBot({ pluginsDir: scratch.dir });
    await bot.deliver(event.text("a"));
    const reloaded = bot.waitForPlugin((e) => e.type === "loaded" && e.reload);
    scratch.write("counter.ts", counter(`note: text("note"),`));
    await bot.hotline.plugins.reload([file]);
    await reloaded;
    await bot.deliver(event.text("b"));
    expect(JSON.parse(bot.sentTexts().at(-1) ?? "{}")).toEqual({
      userId: expect.any(String),
      n: 2,
      note: null,
    });
  });

  test("a table without the plugin's prefix fails the load with a clear error", async () => {
    scratch = createPluginsDir();
    scratch.write("counter.ts", counter().replace('"counter_counts"', '"counts"'));
    bot = await startTestBot({ pluginsDir: scratch.dir });
    const [status] = bot.hotline.plugins.statuses();
    expect(status?.state).toBe("failed");
    expect(status?.error).toContain('must be named with the plugin\'s prefix "counter_"');
  });
});

describe("plugin files", () => {
  test("are stored content-addressed and deduplicated; over-large ones are refused", async () => {
    scratch = createPluginsDir();
    scratch.write(
      "files.ts",
      `
import { definePlugin } from "hotline";
export default definePlugin({
  name: "files",
  on: {
    "message:text": async (event, ctx) => {
      const body = new Blob([event.message.text]).stream();
      const stored = await ctx.files.put(body, { maxBytes: 10 });
      const again = await ctx.files.put(new Blob([event.message.text]).stream());
      const text = await new Response(await ctx.files.get(stored.sha256)).text();
      await ctx.reply(JSON.stringify({ ...stored, same: again.sha256 === stored.sha256, text }));
    },
  },
});
`,
    );
    bot = await startTestBot({ pluginsDir: scratch.dir });
    await bot.deliver(event.text("hello"));
    const reply = JSON.parse(bot.sentTexts()[0] ?? "{}");
    expect(reply).toEqual({
      sha256: "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
      size: 5,
      same: true,
      text: "hello",
    });
    expect(existsSync(join(bot.dataDir, "files", "files", "2c", reply.sha256))).toBe(true);

    await bot.deliver(event.text("this is longer than ten bytes"));
    const [delivery] = bot.deliveries().filter((d) => d.status !== "done");
    expect(delivery?.lastError).toContain("exceeds 10 bytes");
  });
});
