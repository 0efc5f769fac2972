import { afterEach, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createPluginsDir, event, startTestBot, type TestBot } from "../../src/dev/testing/mod.ts";

let bot: TestBot | undefined;
let scratch: ReturnType<typeof createPluginsDir> | undefined;
afterEach(async () => {
  await bot?.stop();
  scratch?.remove();
  bot = undefined;
  scratch = undefined;
});

const counter = (extraColumn = "") => `
import { definePlugin } from "hotline";
import { eq, integer, sql, sqliteTable, text } from "hotline/db";
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

describe("plugin migrations", () => {
  /** Answers with what its migrations made: the log's rows and the count the trigger keeps. */
  const journal = (options: { tables: boolean; migrations: string[] }) => `
import { definePlugin } from "hotline";
import { integer, sql, sqliteTable, text } from "hotline/db";
export const entries = sqliteTable("journal_entries", {
  id: integer("id").primaryKey(),
  text: text("text").notNull(),
});
export default definePlugin({
  name: "journal",
  ${options.tables ? "tables: { entries }," : ""}
  migrations: ${JSON.stringify(options.migrations.map((migration, i) => ({ id: `m${i}`, sql: migration })))},
  on: {
    "message:text": async (event, ctx) => {
      ctx.db.run(sql\`INSERT INTO journal_entries (text) VALUES (\${event.message.text})\`);
      const texts = ctx.db.all(sql\`SELECT text FROM journal_entries ORDER BY id\`).map((r) => r.text);
      const count = ctx.db.all(sql\`SELECT n FROM journal_count\`)[0]?.n;
      await ctx.reply(JSON.stringify({ texts, count }));
    },
  },
});
`;
  // A trigger's body and a string literal both hold ";" at the end of a line.
  const counting = `CREATE TABLE journal_count (n INTEGER NOT NULL);
INSERT INTO journal_count VALUES (0);
CREATE TRIGGER journal_counting AFTER INSERT ON journal_entries BEGIN
  UPDATE journal_count SET n = n + 1;
  UPDATE journal_count SET n = n + 0;
END;
INSERT INTO journal_entries (text) VALUES ('one;
two');`;

  test("a plugin that declares no tables gets them from its migrations, each run whole", async () => {
    scratch = createPluginsDir();
    const create = "CREATE TABLE journal_entries (id INTEGER PRIMARY KEY, text TEXT NOT NULL);";
    scratch.write("journal.ts", journal({ tables: false, migrations: [create, counting] }));
    bot = await startTestBot({ pluginsDir: scratch.dir });
    expect(bot.hotline.plugins.statuses()).toMatchObject([{ name: "journal", state: "loaded" }]);
    await bot.deliver(event.text("three"));
    expect(JSON.parse(bot.sentTexts()[0] ?? "{}")).toEqual({
      texts: ["one;\ntwo", "three"],
      count: 2,
    });
  });

  test("a migration added to an installed plugin runs whole: triggers and strings keep their ';'", async () => {
    scratch = createPluginsDir();
    const file = scratch.write("journal.ts", journal({ tables: true, migrations: [] }));
    bot = await startTestBot({ pluginsDir: scratch.dir });
    const reloaded = bot.waitForPlugin((e) => e.type === "loaded" && e.reload);
    scratch.write("journal.ts", journal({ tables: true, migrations: [counting] }));
    await bot.hotline.plugins.reload([file]);
    await reloaded;
    await bot.deliver(event.text("three"));
    expect(JSON.parse(bot.sentTexts()[0] ?? "{}")).toEqual({
      texts: ["one;\ntwo", "three"],
      count: 2,
    });
  });
});

describe("the key-value store", () => {
  test("list(prefix) matches the prefix exactly: case, and `_`, `%` and `\\` as themselves", async () => {
    scratch = createPluginsDir();
    scratch.write(
      "keys.ts",
      `
import { definePlugin } from "hotline";
const KEYS = ["user_1:a", "user_2:b", "userX1", "User_3", "user%", "100%", "100x", "a\\\\b", "aXb", "ab"];
export default definePlugin({
  name: "keys",
  on: {
    "message:text": async (event, ctx) => {
      for (const key of KEYS) await ctx.kv.set(key, 1);
      const lists = {};
      for (const prefix of JSON.parse(event.message.text))
        lists[prefix] = (await ctx.kv.list(prefix)).map((entry) => entry.key);
      await ctx.reply(JSON.stringify(lists));
    },
  },
});
`,
    );
    bot = await startTestBot({ pluginsDir: scratch.dir });
    await bot.deliver(
      event.text(JSON.stringify(["user_", "user", "User", "100%", "a\\", "", "zz"])),
    );
    expect(JSON.parse(bot.sentTexts()[0] ?? "{}")).toEqual({
      user_: ["user_1:a", "user_2:b"],
      user: ["user%", "userX1", "user_1:a", "user_2:b"],
      User: ["User_3"],
      "100%": ["100%"],
      "a\\": ["a\\b"],
      "": [
        "100%",
        "100x",
        "User_3",
        // Byte order: "X" (0x58) < "\\" (0x5c) < "b" (0x62).
        "aXb",
        "a\\b",
        "ab",
        "user%",
        "userX1",
        "user_1:a",
        "user_2:b",
      ],
      zz: [],
    });
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
    const [delivery] = (await bot.deliveries()).filter((d) => d.status !== "done");
    expect(delivery?.lastError).toContain("exceeds 10 bytes");
  });
});
