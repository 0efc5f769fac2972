/**
 * An installation from before `plugins.db`: plugin state lived in `hotline.db`, and plugin tables
 * were named `<plugin>_…`. At the first start it moves to `plugins.db`, and the built-in plugins
 * rename their tables to `<plugin>__…`, rows and all.
 */
import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestBot } from "../../src/dev/testing/mod.ts";
import { platform, type SqliteHandle } from "../../src/platform/mod.ts";
import { databasePath } from "../../src/storage/sqlite/database.ts";
import { pluginStatePath } from "../../src/storage/sqlite/plugin-state-db.ts";

const MIGRATIONS = new URL("../../src/storage/sqlite/migrations/", import.meta.url).pathname;
const BREAKPOINT = "--> statement-breakpoint";
const PLUGIN = new URL("../../plugins/beacon-greeter.ts", import.meta.url);

let dataDir: string;
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

/** hotline.db as the last version before plugins.db left it, with a plugin's state in it. */
function legacyInstallation(): void {
  const db = platform.openSqlite(databasePath(dataDir));
  // The host's schema as that version had it: the first migration only, recorded as drizzle does.
  db.exec(readFileSync(join(MIGRATIONS, "0000_core.sql"), "utf8").replaceAll(BREAKPOINT, ""));
  const { entries } = JSON.parse(readFileSync(join(MIGRATIONS, "meta/_journal.json"), "utf8"));
  db.exec(`
    CREATE TABLE __drizzle_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, hash text NOT NULL,
      created_at numeric);
    INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('0000', ${entries[0].when});
    INSERT INTO plugin_kv (plugin, key, value) VALUES ('beacon-greeter', 'greeted', '3');
    INSERT INTO plugin_migrations VALUES ('journal', 'm0', 1);
    CREATE TABLE IF NOT EXISTS "beacon_greeter_visits" ("event_id" text PRIMARY KEY,
      "user_id" text NOT NULL, "hwid" text NOT NULL, "type" text NOT NULL, "dm" text,
      "at" integer NOT NULL, "replied_at" integer);
    CREATE INDEX "beacon_greeter_visits_at" ON "beacon_greeter_visits" ("at");
    INSERT INTO beacon_greeter_visits VALUES ('e1', 'U1', 'h1', 'enter', NULL, 100, 100);
    CREATE TABLE journal_entries (id INTEGER PRIMARY KEY, text TEXT NOT NULL);
    CREATE TABLE journal_count (n INTEGER NOT NULL);
    INSERT INTO journal_count VALUES (0);
    CREATE TRIGGER journal_counting AFTER INSERT ON journal_entries BEGIN
      UPDATE journal_count SET n = n + 1;
    END;
    INSERT INTO journal_entries (text) VALUES ('kept');
  `);
  db.close();
}

const names = (db: SqliteHandle, type: string) =>
  (
    db.query(
      "SELECT name FROM sqlite_master WHERE type = ?1 ORDER BY name",
      [type],
      "arrays",
    ) as string[][]
  )
    .map(([name]) => name)
    .filter((name) => !name?.startsWith("sqlite_"));

test("plugin state moves out of hotline.db, and the plugin's legacy table is renamed with its rows", async () => {
  dataDir = mkdtempSync(join(tmpdir(), "hotline-legacy-"));
  legacyInstallation();

  for (const start of ["first", "second"]) {
    // Moving hotline.db's plugin tables is a SQLite upgrade: an empty DATABASE_URL keeps it there.
    const bot = await startTestBot({ plugins: [PLUGIN], dataDir, env: { DATABASE_URL: "" } });
    try {
      expect(bot.hotline.plugins.statuses()).toMatchObject([{ state: "loaded" }]);
      // Read with SQL: the plugin's drizzle tables in this process follow the run's DATABASE_URL.
      const visitRows = {
        sql: "SELECT event_id, user_id, hwid, type, dm, at, replied_at FROM beacon_greeter__visits",
        params: [],
        rows: "objects" as const,
      };
      expect(await bot.hotline.pluginState.query(visitRows)).toEqual([
        {
          event_id: "e1",
          user_id: "U1",
          hwid: "h1",
          type: "enter",
          dm: null,
          at: 100,
          replied_at: 100,
        },
      ]);
      expect(await bot.kv("beacon-greeter").get("greeted")).toBe(3);
      const journal = {
        sql: "SELECT text FROM journal_entries",
        params: [],
        rows: "objects" as const,
      };
      expect(await bot.hotline.pluginState.query(journal)).toEqual([{ text: "kept" }]);
    } finally {
      await bot.stop();
    }
    const host = platform.openSqlite(databasePath(dataDir));
    const state = platform.openSqlite(pluginStatePath(dataDir));
    try {
      expect({ start, tables: names(host, "table") }).toEqual({
        start,
        tables: [
          "__drizzle_migrations",
          "chats",
          "deliveries",
          "held_replies",
          "inbox_events",
          "push_pauses",
          "rich_menu_links",
          "rich_menus",
          "schedules",
          "sent_messages",
          "sessions",
          "users",
        ],
      });
      expect(names(state, "table")).toEqual([
        "beacon_greeter__visits",
        "journal_count",
        "journal_entries",
        "plugin_kv",
        "plugin_migrations",
      ]);
      // The old index went with the old name; the declared ones are there.
      expect(names(state, "index")).toEqual([
        "beacon_greeter__visits_at",
        "beacon_greeter__visits_recent_replies",
      ]);
      expect(names(state, "trigger")).toEqual(["journal_counting"]);
      expect(state.query("SELECT id FROM plugin_migrations", [], "arrays")).toEqual([["m0"]]);
    } finally {
      host.close();
      state.close();
    }
  }
});
