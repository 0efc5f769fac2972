/**
 * The live store, read only, for `replay` and `export-fixture`: the one DATA_DIR or DATABASE_URL
 * names, while the bot runs or not. SQLite is opened read-only (no write, no checkpoint, no file
 * created); PostgreSQL is read in a read-only transaction. Nothing here can change the store.
 */
import { existsSync } from "node:fs";
import { platform } from "../../platform/mod.ts";
import { openSql, postgresTarget } from "../../storage/postgres/connection.ts";
import { readHistory as readPostgres } from "../../storage/postgres/history.ts";
import { databasePath } from "../../storage/sqlite/database.ts";
import { readHistory as readSqlite } from "../../storage/sqlite/history.ts";
import type { HistoryEntry, HistoryQuery } from "../../storage/store.ts";

export interface HistoryReader {
  /** Where it reads, as it can be shown (no password). */
  readonly where: string;
  history(query: HistoryQuery): Promise<HistoryEntry[]>;
  close(): Promise<void>;
}

export function openHistoryReader(source: {
  dataDir: string;
  databaseUrl: string | undefined;
}): HistoryReader {
  if (source.databaseUrl) {
    const target = postgresTarget(source.databaseUrl);
    const sql = openSql(target, { max: 1 });
    return {
      where: target.shown,
      history: (query) =>
        sql.begin("read only", (tx) => readPostgres(tx as unknown as typeof sql, query)),
      close: () => sql.end(),
    };
  }
  const path = databasePath(source.dataDir);
  if (!existsSync(path)) throw new Error(`no store at ${path} (DATA_DIR=${source.dataDir})`);
  const handle = platform.openSqlite(path, { readonly: true });
  handle.exec("PRAGMA busy_timeout = 5000");
  return {
    where: path,
    history: async (query) => readSqlite(handle.db, query),
    close: async () => handle.close(),
  };
}

/** A time given on the command line: epoch milliseconds, an ISO 8601 time, or "-2h"/"-3d" ago. */
export function parseTime(value: string, now: number): number {
  if (/^\d+$/.test(value)) return Number(value);
  const ago = /^-(\d+)([smhd])$/.exec(value);
  if (ago) {
    const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[
      ago[2] as "s" | "m" | "h" | "d"
    ];
    return now - Number(ago[1]) * unit;
  }
  const parsed = Date.parse(value);
  if (Number.isNaN(parsed)) throw new Error(`not a time: "${value}" (ms, ISO 8601, or -2h, -3d)`);
  return parsed;
}
