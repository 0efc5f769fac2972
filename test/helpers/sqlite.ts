import type { SqliteHandle } from "../../src/platform/mod.ts";

/**
 * The SQLite database under a bot, for tests that read its tables directly. A bot on another
 * store has none: such a test says so instead of passing by accident.
 */
export function sqliteOf(hotline: { database: SqliteHandle | undefined }): SqliteHandle {
  if (!hotline.database)
    throw new Error("this test reads the SQLite database; the bot runs on another store");
  return hotline.database;
}
