/**
 * `plugins.db`: the plugins' state (key-value store, migrations record, plugin tables), in a file
 * of its own beside `hotline.db`, so that no plugin transaction ever holds a lock the host's
 * writes need. Installations from before kept it in `hotline.db`: it is moved here once.
 */

import { closeSync, existsSync, openSync } from "node:fs";
import { join } from "node:path";
import { getTableName } from "drizzle-orm";
import { platform, type SqliteHandle } from "../../platform/mod.ts";
import { coreSchema } from "./schema.ts";

export function pluginStatePath(dataDir: string): string {
  return join(dataDir, "plugins.db");
}

/**
 * synchronous=NORMAL: commits are made durable by fsyncing the WAL off the event loop (`WalSync`)
 * before a plugin hears they are done. busy_timeout=0: the host's thread never sleeps on a lock;
 * the host orders the writers itself, so nothing else should hold one.
 */
const PRAGMAS = `
  PRAGMA busy_timeout = 0;
  PRAGMA journal_mode = WAL;
  PRAGMA synchronous = NORMAL;
  PRAGMA foreign_keys = ON;
`;

/** The tables the host keeps for plugins; `user_version` counts changes to them. */
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS plugin_kv (
    plugin TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    expires_at INTEGER,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (plugin, key)
  );
  CREATE TABLE IF NOT EXISTS plugin_migrations (
    plugin TEXT NOT NULL,
    id TEXT NOT NULL,
    applied_at INTEGER NOT NULL,
    PRIMARY KEY (plugin, id)
  );
  PRAGMA user_version = 1;
`;

/** Opens (creating) plugins.db for writing: the connection every write and transaction uses. */
export function openStateWriter(dataDir: string): SqliteHandle {
  const path = pluginStatePath(dataDir);
  // Owner-only before SQLite would create it 0644, like hotline.db.
  closeSync(openSync(path, "a", 0o600));
  const handle = platform.openSqlite(path);
  try {
    handle.exec(PRAGMAS);
    handle.exec(SCHEMA);
    return handle;
  } catch (error) {
    handle.close();
    throw error;
  }
}

/**
 * The connection for reads outside transactions: WAL lets it read beside the writer. The host's
 * shared tables (`users`, `chats`) are readable here through `hotline.db` attached as `host`
 * (unqualified names find them: no plugin table is named like them), and nothing can be written
 * on it (query_only), so neither file can be written through it.
 */
export function openStateReader(dataDir: string, hostDatabase: string): SqliteHandle {
  const handle = platform.openSqlite(pluginStatePath(dataDir));
  try {
    handle.exec("PRAGMA busy_timeout = 0;");
    if (existsSync(hostDatabase)) {
      handle.query("ATTACH DATABASE ?1 AS host", [hostDatabase], "none");
      // The default channel's rows, as on PostgreSQL (its views): the same user id is another
      // user in another channel, and "hotline/db" keys these tables by it alone.
      for (const table of ["users", "chats"])
        handle.exec(
          `CREATE TEMP VIEW ${table} AS SELECT * FROM host.${table} WHERE channel = 'default';`,
        );
    }
    handle.exec("PRAGMA query_only = 1;");
    return handle;
  } catch (error) {
    handle.close();
    throw error;
  }
}

/** The host's own tables in hotline.db (from its schema); everything else was made by plugins. */
const HOST_TABLES = new Set([
  ...Object.values(coreSchema).map((table) => getTableName(table)),
  "__drizzle_migrations",
]);
const STATE_TABLES = ["plugin_kv", "plugin_migrations"];

interface SchemaObject {
  type: "table" | "index" | "trigger" | "view";
  name: string;
  tableName: string;
  sql: string;
}

/**
 * Moves what plugins kept in `hotline.db` (installations from before `plugins.db`) into
 * `plugins.db`: their tables with their indexes, triggers and views, the key-value entries and
 * the migrations record. First a copy, in one transaction of plugins.db; then the plugin tables
 * go from hotline.db, in one transaction there (its migrations drop `plugin_kv` and
 * `plugin_migrations`). WAL makes no transaction atomic across two files, so the two steps are
 * apart and each is idempotent: after a crash between them, the copy finds its tables there
 * already (they came in whole) and only the removal runs again.
 */
export function moveLegacyPluginState(host: SqliteHandle, dataDir: string, hostPath: string): void {
  const objects = host.query(
    `SELECT type, name, tbl_name AS tableName, sql FROM sqlite_master
     WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'`,
    [],
    "objects",
  ) as SchemaObject[];
  const pluginTables = objects.filter(
    (o) => o.type === "table" && !HOST_TABLES.has(o.name) && !STATE_TABLES.includes(o.name),
  );
  const views = objects.filter((o) => o.type === "view");
  const stateTables = STATE_TABLES.filter((name) => objects.some((o) => o.name === name));
  if (pluginTables.length + views.length + stateTables.length === 0) return;

  const state = openStateWriter(dataDir);
  try {
    state.query("ATTACH DATABASE ?1 AS legacy", [hostPath], "none");
    state.exec("BEGIN IMMEDIATE");
    try {
      copyInto(state, objects, pluginTables, views, stateTables);
      state.exec("COMMIT");
    } catch (error) {
      state.exec("ROLLBACK");
      throw error;
    }
    state.exec("DETACH DATABASE legacy");
  } finally {
    state.close();
  }
  host.db.transaction(() => {
    for (const view of views) host.exec(`DROP VIEW IF EXISTS "${view.name}"`);
    for (const table of pluginTables) host.exec(`DROP TABLE IF EXISTS "${table.name}"`);
  });
}

function copyInto(
  state: SqliteHandle,
  objects: SchemaObject[],
  pluginTables: SchemaObject[],
  views: SchemaObject[],
  stateTables: string[],
): void {
  const present = new Set(
    (state.query("SELECT name FROM main.sqlite_master", [], "arrays") as string[][]).map(
      ([name]) => name,
    ),
  );
  const moving = pluginTables.filter((table) => !present.has(table.name));
  // Tables first, then what refers to them; the statements name no database, so they make main's.
  for (const table of moving) state.exec(table.sql);
  for (const table of moving)
    state.exec(`INSERT INTO main."${table.name}" SELECT * FROM legacy."${table.name}"`);
  const names = new Set(moving.map((table) => table.name));
  for (const object of objects) {
    if ((object.type === "index" || object.type === "trigger") && names.has(object.tableName))
      state.exec(object.sql);
  }
  for (const view of views) if (!present.has(view.name)) state.exec(view.sql);
  if (stateTables.includes("plugin_kv"))
    state.exec(
      `INSERT OR IGNORE INTO main.plugin_kv (plugin, key, value, expires_at, updated_at)
       SELECT plugin, key, value, expires_at, updated_at FROM legacy.plugin_kv`,
    );
  if (stateTables.includes("plugin_migrations"))
    state.exec(
      `INSERT OR IGNORE INTO main.plugin_migrations (plugin, id, applied_at)
       SELECT plugin, id, applied_at FROM legacy.plugin_migrations`,
    );
}
