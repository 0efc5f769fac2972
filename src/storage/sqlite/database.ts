import { closeSync, mkdirSync, openSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { platform, type SqliteHandle } from "../../platform/mod.ts";

export const MIGRATIONS_FOLDER = fileURLToPath(new URL("./migrations", import.meta.url));

/**
 * WAL lets readers (plugin workers) run beside the single writer; synchronous=FULL makes every
 * commit survive power loss, not only a process crash. The host's own connection trades that for
 * its write queue's fsync of the WAL off the event loop (see `WriteQueue`), which gives every
 * write the same promise before it is acknowledged. busy_timeout covers the short write-lock waits
 * between the host and plugin workers; it comes first, because switching to WAL takes a lock that
 * another connection opening the same file at that moment may hold.
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

/** Opens (creating if needed) the shared database and brings the core schema up to date. */
export function openDatabase(dataDir: string): SqliteHandle {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = databasePath(dataDir);
  // Created owner-only before SQLite would create it 0644; its -wal and -shm files take its mode.
  closeSync(openSync(path, "a", 0o600));
  const handle = platform.openSqlite(path);
  handle.exec(PRAGMAS);
  handle.migrate(MIGRATIONS_FOLDER);
  return handle;
}

/** A second connection for plugin workers: no migrations, same durability settings. */
export function connectDatabase(dataDir: string): SqliteHandle {
  const handle = platform.openSqlite(databasePath(dataDir));
  handle.exec(PRAGMAS);
  return handle;
}
