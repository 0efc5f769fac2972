import { closeSync, mkdirSync, openSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { platform, type SqliteHandle } from "../../platform/mod.ts";
import { moveLegacyPluginState } from "./plugin-state-db.ts";

export const MIGRATIONS_FOLDER = fileURLToPath(new URL("./migrations", import.meta.url));

/**
 * WAL lets readers (plugin state's reader, which attaches this file to read `users` and `chats`)
 * run beside the single writer, the host; synchronous=FULL makes every commit survive power loss,
 * not only a process crash. The host's own connection trades that for its write queue's fsync of
 * the WAL off the event loop (see `WriteQueue`), which gives every write the same promise before
 * it is acknowledged. busy_timeout covers other processes opening the file (tools, tests); it
 * comes first, because switching to WAL takes a lock that another connection may hold.
 */
const PRAGMAS = `
  PRAGMA busy_timeout = 5000;
  PRAGMA journal_mode = WAL;
  PRAGMA synchronous = FULL;
  PRAGMA foreign_keys = ON;
`;

export function databasePath(dataDir: string): string {
  return join(dataDir, "hotline.db");
}

/**
 * Opens (creating if needed) the host's database and brings the core schema up to date; what an
 * older installation kept for plugins here moves to `plugins.db` first (its migrations then drop
 * the emptied tables).
 */
export function openDatabase(dataDir: string): SqliteHandle {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = databasePath(dataDir);
  // Created owner-only before SQLite would create it 0644; its -wal and -shm files take its mode.
  closeSync(openSync(path, "a", 0o600));
  const handle = platform.openSqlite(path);
  try {
    handle.exec(PRAGMAS);
    moveLegacyPluginState(handle, dataDir, path);
    handle.migrate(MIGRATIONS_FOLDER);
    return handle;
  } catch (error) {
    handle.close();
    throw error;
  }
}
