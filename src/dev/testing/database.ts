/**
 * Where a test bot keeps its store: SQLite in its data directory, or, with
 * `HOTLINE_TEST_STORE=postgres`, a PostgreSQL schema of its own on `TEST_DATABASE_URL`. The
 * schema's URL is written into the data directory, so a bot started again on that directory (a
 * restart) finds the same store.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";

const FILE = "test-database-url";

export function testStoreIsPostgres(): boolean {
  return process.env.HOTLINE_TEST_STORE === "postgres";
}

/** The DATABASE_URL for a bot on this data directory; undefined for SQLite. */
export function testDatabaseUrl(dataDir: string): string | undefined {
  if (!testStoreIsPostgres()) return undefined;
  const file = join(dataDir, FILE);
  if (existsSync(file)) return readFileSync(file, "utf8");
  const base = process.env.TEST_DATABASE_URL;
  if (!base) throw new Error("HOTLINE_TEST_STORE=postgres needs TEST_DATABASE_URL=postgres://…");
  const url = new URL(base);
  url.searchParams.set("schema", `bot_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`);
  writeFileSync(file, url.toString(), { mode: 0o600 });
  return url.toString();
}

/** Drops the bot's schema (when it has one). */
export async function dropTestDatabase(databaseUrl: string | undefined): Promise<void> {
  if (!databaseUrl) return;
  const url = new URL(databaseUrl);
  const schema = url.searchParams.get("schema");
  url.searchParams.delete("schema");
  if (!schema) return;
  const sql = postgres(url.toString(), { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`drop schema if exists "${schema}" cascade`);
  } finally {
    await sql.end();
  }
}
