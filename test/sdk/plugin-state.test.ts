/**
 * Plugin state through the host, on both stores: tables declared once, migrations per dialect,
 * the key-value store, transactions, and the namespace that keeps plugins to their own tables.
 * The SQLite half always runs; the PostgreSQL half when TEST_DATABASE_URL is set.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Tuning } from "../../src/config/options.ts";
import {
  createPluginsDir,
  event,
  startTestBot,
  type TestBot,
  user,
} from "../../src/dev/testing/mod.ts";
import { freshSchema, TEST_DATABASE_URL } from "../helpers/postgres.ts";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Store {
  name: "SQLite" | "PostgreSQL";
  /** The bot's environment: a fresh schema on PostgreSQL, dropped after the test. */
  env(): Record<string, string>;
}
// An empty DATABASE_URL means SQLite even when the test process runs against PostgreSQL.
const SQLITE: Store = { name: "SQLite", env: () => ({ DATABASE_URL: "" }) };
const POSTGRES: Store = {
  name: "PostgreSQL",
  env() {
    const schema = freshSchema();
    cleanups.push(() => schema.drop());
    return { DATABASE_URL: schema.url };
  },
};
const STORES = TEST_DATABASE_URL ? [SQLITE, POSTGRES] : [SQLITE];

/** A bot on the store with the plugins written into a scratch directory. */
async function botWith(
  store: Store,
  plugins: Record<string, string>,
  options: { tuning?: Partial<Tuning>; env?: Record<string, string> } = {},
) {
  const scratch = createPluginsDir();
  cleanups.push(scratch.remove);
  const files = Object.fromEntries(
    Object.entries(plugins).map(([file, source]) => [file, scratch.write(file, source)]),
  );
  const bot = await startTestBot({
    pluginsDir: scratch.dir,
    env: { ...store.env(), ...options.env },
    ...(options.tuning ? { tuning: options.tuning } : {}),
  });
  cleanups.push(() => bot.stop());
  return { bot, scratch, files };
}

const lastReply = (bot: TestBot) => JSON.parse(bot.sentTexts().at(-1) ?? "null");
const statusOf = (bot: TestBot, name: string) =>
  bot.hotline.plugins.statuses().find((s) => s.file === `${name}.ts`);

const counter = (extraColumn = "") => `
import { definePlugin } from "hotline";
import { eq, integer, sql, table, text } from "hotline/db";
export const counts = table("counter__counts", {
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
      await ctx.db.insert(counts).values({ userId, n: 1 })
        .onConflictDoUpdate({ target: counts.userId, set: { n: sql\`\${counts.n} + 1\` } });
      const [row] = await ctx.db.select().from(counts).where(eq(counts.userId, userId));
      await ctx.reply(JSON.stringify(row));
    },
  },
});
`;

/** Keeps notes; "throw" writes one and throws inside a transaction, "hold" outlives the bound. */
const notes = `
import { definePlugin } from "hotline";
import { count, table, text } from "hotline/db";
export const notes = table("notes__entries", { id: text("id").primaryKey(), text: text("text").notNull() });
export default definePlugin({
  name: "notes",
  timeoutMs: 1500,
  tables: { notes },
  on: {
    "message:text": async (event, ctx) => {
      const text = event.message.text;
      let outcome = "committed";
      try {
        await ctx.transaction(async (tx) => {
          await tx.insert(notes).values({ id: event.message.id, text });
          await tx.kv.set(event.message.id, text);
          if (text === "throw") throw new Error("changed my mind");
          if (text === "outside") await ctx.db.insert(notes).values({ id: "outside", text });
          if (text === "spin" && ctx.attempt === 1) while (true) {}
          if (text === "hold") {
            await new Promise((resolve) => setTimeout(resolve, 1000));
            await tx.insert(notes).values({ id: event.message.id + "-late", text });
          }
        });
      } catch (error) {
        // drizzle wraps what a statement's execution threw (the host's answer) as the cause.
        const reason = error.cause ?? error;
        outcome = reason.name + ": " + reason.message;
      }
      // The store takes writes again at once: a rolled-back transaction holds nothing.
      await ctx.db.insert(notes).values({ id: event.message.id + "-after", text: "after" });
      const [{ n }] = await ctx.db.select({ n: count() }).from(notes);
      await ctx.reply(JSON.stringify({ outcome, n, kv: (await ctx.kv.get(event.message.id)) ?? null }));
    },
  },
});
`;

const KEYS = [
  "user_1:a",
  "user_2:b",
  "userX1",
  "User_3",
  "user%",
  "100%",
  "100x",
  "a\\b",
  "aXb",
  "ab",
  "é1",
  "éa",
  "e1",
  "日本",
  "日本語",
  "🙂x",
];
const keys = `
import { definePlugin } from "hotline";
const KEYS = ${JSON.stringify(KEYS)};
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
`;

/** A plugin declaring one table named `tableName`. */
const claimant = (name: string, tableName: string) => `
import { definePlugin } from "hotline";
import { table, text } from "hotline/db";
export const t = table(${JSON.stringify(tableName)}, { id: text("id").primaryKey() });
export default definePlugin({
  name: ${JSON.stringify(name)},
  tables: { t },
  on: { "message:text": async (event, ctx) => { await ctx.reply("${name} here"); } },
});
`;

for (const store of STORES) {
  describe(`plugin tables (${store.name})`, () => {
    test("are created at load, and typed queries work across events", async () => {
      const { bot } = await botWith(store, { "counter.ts": counter() });
      await bot.deliver(event.text("a"));
      await bot.deliver(event.text("b"));
      expect(bot.sentTexts().map((t) => JSON.parse(t).n)).toEqual([1, 2]);
    });

    test("a new nullable column is added on reload, keeping the rows", async () => {
      const { bot, scratch, files } = await botWith(store, { "counter.ts": counter() });
      await bot.deliver(event.text("a"));
      const reloaded = bot.waitForPlugin((e) => e.type === "loaded" && e.reload);
      scratch.write("counter.ts", counter(`note: text("note"),`));
      await bot.hotline.plugins.reload([files["counter.ts"] as string]);
      await reloaded;
      await bot.deliver(event.text("b"));
      expect(lastReply(bot)).toEqual({ userId: expect.any(String), n: 2, note: null });
    });

    test("a name outside the plugin's namespace is refused at load; the host is unaffected", async () => {
      const { bot } = await botWith(store, {
        // Would have been the host's table, or the plugin foo-bar's "x", under the old rule.
        "inbox.ts": claimant("inbox", "inbox_events"),
        "foo.ts": claimant("foo", "foo_bar_x"),
        "foo-bar.ts": claimant("foo-bar", "foo_bar__x"),
      });
      expect(statusOf(bot, "inbox")?.error).toContain(
        'table "inbox_events" must be named with the plugin\'s prefix "inbox__"',
      );
      expect(statusOf(bot, "foo")?.error).toContain(
        'table "foo_bar_x" must be named with the plugin\'s prefix "foo__"',
      );
      expect(statusOf(bot, "foo-bar")?.state).toBe("loaded");
      const hello = event.text("hello");
      await bot.deliver(hello);
      expect(bot.repliesTo(hello)).toEqual([{ type: "text", text: "foo-bar here" }]);
      expect(await bot.hotline.store.eventCounts()).toMatchObject({ done: 1 });
    });

    test('a plugin named "plugin" cannot rename the store\'s own tables into its namespace', async () => {
      const renamer = (from: string) => `
import { definePlugin } from "hotline";
import { table, text } from "hotline/db";
export const t = table("plugin__taken", { id: text("id").primaryKey() });
export default definePlugin({
  name: "plugin",
  tables: { t },
  tableRenames: { ${from}: "plugin__taken" },
  on: { follow: () => {} },
});
`;
      for (const from of ["plugin_kv", "plugin_files", "plugin_file_chunks"]) {
        const { bot } = await botWith(store, { "plugin.ts": renamer(from) });
        expect(statusOf(bot, "plugin")?.error).toContain(
          `tableRenames: "${from}" is not a name this plugin's tables ever had`,
        );
      }
    }, 20_000);

    test("the shared users table reads the host's rows, and refuses writes", async () => {
      const reader = `
import { definePlugin } from "hotline";
import { eq, users } from "hotline/db";
export default definePlugin({
  name: "reader",
  on: {
    "message:text": async (event, ctx) => {
      const userId = event.source.userId;
      const [row] = await ctx.db.select().from(users).where(eq(users.userId, userId));
      let write = "written";
      try {
        await ctx.db.update(users).set({ displayName: "Mallory" }).where(eq(users.userId, userId));
      } catch (error) {
        write = "refused";
      }
      await ctx.reply(JSON.stringify({ seen: row?.userId === userId, write }));
    },
  },
});
`;
      const { bot } = await botWith(store, { "reader.ts": reader });
      await bot.deliver(event.text("hi"));
      expect(lastReply(bot)).toEqual({ seen: true, write: "refused" });
    });
  });

  describe(`transactions (${store.name})`, () => {
    test("commit together, and roll back together when the work throws", async () => {
      const { bot } = await botWith(store, { "notes.ts": notes });
      await bot.deliver(event.text("keep"));
      expect(lastReply(bot)).toEqual({ outcome: "committed", n: 2, kv: "keep" });
      await bot.deliver(event.text("throw"));
      expect(lastReply(bot)).toEqual({ outcome: "Error: changed my mind", n: 3, kv: null });
    });

    test("one left open by a worker that died is rolled back", async () => {
      const { bot } = await botWith(store, { "notes.ts": notes });
      // Blocks its thread inside the transaction: the worker is found hung and terminated.
      const spin = event.text("spin");
      await bot.deliver(spin);
      expect(await bot.deliveries(spin.webhookEventId)).toMatchObject([{ status: "retry" }]);
      // A fresh worker writes at once: nothing of the dead one's transaction is left, or holds.
      // In another chat: the spinning one's lane holds its retry.
      await bot.deliver(event.text("keep", { chat: user("U0000000000000000000000000000beef") }));
      expect(lastReply(bot)).toEqual({ outcome: "committed", n: 2, kv: "keep" });
    });

    test("ctx.db writing inside one is refused at once (it would wait for the transaction)", async () => {
      const { bot } = await botWith(store, { "notes.ts": notes });
      await bot.deliver(event.text("outside"));
      expect(lastReply(bot)).toEqual({
        outcome: "Error: ctx.db cannot write inside ctx.transaction: write through its tx",
        n: 1,
        kv: null,
      });
    });

    test("one that outlives its bound is rolled back, and the plugin is told", async () => {
      const tuning = { pluginState: { queryTimeoutMs: 5000, transactionTimeoutMs: 300 } };
      const { bot } = await botWith(store, { "notes.ts": notes }, { tuning });
      await bot.deliver(event.text("hold"));
      expect(lastReply(bot)).toEqual({
        outcome:
          "PluginStateError: the transaction was rolled back: it was open longer than its bound of 300 ms",
        n: 1,
        kv: null,
      });
    });
  });

  describe(`the key-value store (${store.name})`, () => {
    test("list(prefix) matches the prefix exactly, in byte order: case, `_`, `%`, `\\` and non-ASCII as themselves", async () => {
      const { bot } = await botWith(store, { "keys.ts": keys });
      const prefixes = ["user_", "user", "User", "100%", "a\\", "é", "日本", "🙂", "", "zz"];
      await bot.deliver(event.text(JSON.stringify(prefixes)));
      expect(lastReply(bot)).toEqual({
        user_: ["user_1:a", "user_2:b"],
        user: ["user%", "userX1", "user_1:a", "user_2:b"],
        User: ["User_3"],
        "100%": ["100%"],
        "a\\": ["a\\b"],
        é: ["é1", "éa"],
        日本: ["日本", "日本語"],
        "🙂": ["🙂x"],
        "": [
          "100%",
          "100x",
          "User_3",
          // Byte order: "X" (0x58) < "\\" (0x5c) < "b" (0x62); UTF-8 after ASCII, by code point.
          "aXb",
          "a\\b",
          "ab",
          "e1",
          "user%",
          "userX1",
          "user_1:a",
          "user_2:b",
          "é1",
          "éa",
          "日本",
          "日本語",
          "🙂x",
        ],
        zz: [],
      });
    });
  });
}

describe("plugin migrations", () => {
  /** Answers with what its migrations made: the entries and the count a trigger keeps. */
  const journal = (options: { tables: boolean; migrations: object[] }) => `
import { definePlugin } from "hotline";
import { integer, sql, table, text } from "hotline/db";
export const entries = table("journal__entries", {
  id: integer("id").primaryKey(),
  text: text("text").notNull(),
});
export default definePlugin({
  name: "journal",
  ${options.tables ? "tables: { entries }," : ""}
  migrations: ${JSON.stringify(options.migrations)},
  on: {
    "message:text": async (event, ctx) => {
      await ctx.db.execute(sql\`INSERT INTO journal__entries (id, text) VALUES (3, \${event.message.text})\`);
      const texts = (await ctx.db.execute(sql\`SELECT text FROM journal__entries ORDER BY id\`)).map((r) => r.text);
      const [{ n }] = await ctx.db.execute(sql\`SELECT n FROM journal__count\`);
      await ctx.reply(JSON.stringify({ texts, count: Number(n) }));
    },
  },
});
`;
  const create = {
    sqlite: "CREATE TABLE journal__entries (id INTEGER PRIMARY KEY, text TEXT NOT NULL);",
    postgres: "CREATE TABLE journal__entries (id bigint PRIMARY KEY, text text NOT NULL);",
  };
  // A trigger's body and a string literal both hold ";" at the end of a line.
  const counting = {
    sqlite: `CREATE TABLE journal__count (n INTEGER NOT NULL);
INSERT INTO journal__count VALUES (0);
CREATE TRIGGER journal__counting AFTER INSERT ON journal__entries BEGIN
  UPDATE journal__count SET n = n + 1;
  UPDATE journal__count SET n = n + 0;
END;
INSERT INTO journal__entries (id, text) VALUES (1, 'one;
two');`,
    postgres: `CREATE TABLE journal__count (n bigint NOT NULL);
INSERT INTO journal__count VALUES (0);
CREATE FUNCTION journal__counting() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE journal__count SET n = n + 1;
  RETURN NEW;
END $$;
CREATE TRIGGER journal__counting AFTER INSERT ON journal__entries
  FOR EACH ROW EXECUTE FUNCTION journal__counting();
INSERT INTO journal__entries (id, text) VALUES (1, 'one;
two');`,
  };
  const expected = { texts: ["one;\ntwo", "three"], count: 2 };

  for (const store of STORES) {
    test(`a plugin that declares no tables gets them from its migrations, each run whole (${store.name})`, async () => {
      const { bot } = await botWith(store, {
        "journal.ts": journal({
          tables: false,
          migrations: [
            { id: "m0", sql: create },
            { id: "m1", sql: counting },
          ],
        }),
      });
      expect(statusOf(bot, "journal")?.state).toBe("loaded");
      await bot.deliver(event.text("three"));
      expect(lastReply(bot)).toEqual(expected);
    });

    test(`a migration added to an installed plugin runs whole (${store.name})`, async () => {
      const { bot, scratch, files } = await botWith(store, {
        "journal.ts": journal({ tables: true, migrations: [] }),
      });
      const reloaded = bot.waitForPlugin((e) => e.type === "loaded" && e.reload);
      scratch.write(
        "journal.ts",
        journal({ tables: true, migrations: [{ id: "m1", sql: counting }] }),
      );
      await bot.hotline.plugins.reload([files["journal.ts"] as string]);
      await reloaded;
      await bot.deliver(event.text("three"));
      expect(lastReply(bot)).toEqual(expected);
    });
  }

  test("a migration without SQL for the store keeps the plugin from loading, saying why", async () => {
    const { bot } = await botWith(SQLITE, {
      "journal.ts": journal({
        tables: false,
        migrations: [{ id: "m0", sql: { postgres: create.postgres } }],
      }),
    });
    expect(statusOf(bot, "journal")).toMatchObject({ state: "failed" });
    expect(statusOf(bot, "journal")?.error).toContain(
      'migration "m0" has no SQLite version: this plugin cannot run on SQLite',
    );
  });
});

describe("plugin files", () => {
  test("are stored content-addressed and deduplicated; over-large ones are refused", async () => {
    const files = `
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
`;
    const { bot } = await botWith(SQLITE, { "files.ts": files });
    await bot.deliver(event.text("hello"));
    const reply = lastReply(bot);
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
