/**
 * Where a test bot keeps its store: SQLite in its data directory, or, when the test process runs
 * with `DATABASE_URL=postgres://…` (CI's PostgreSQL suites), a schema of its own there. The
 * schema's URL is written into the data directory, so a bot started again on that directory (a
 * restart) finds the same store.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freshSchemaUrl } from "./postgres-schema.ts";

const FILE = "test-database-url";

/** The PostgreSQL server the test process runs against, if any. */
export function testPostgres(): string | undefined {
  const url = process.env.DATABASE_URL;
  return url && /^postgres(ql)?:/.test(url) ? url : undefined;
}

/**
 * The DATABASE_URL for a bot on this data directory (undefined for SQLite), and how to drop its
 * schemas when the directory was made for the bot alone.
 */
export function testDatabase(dataDir: string): { url: string | undefined; drop(): Promise<void> } {
  const base = testPostgres();
  if (!base) return { url: undefined, drop: async () => {} };
  const file = join(dataDir, FILE);
  if (existsSync(file)) return { url: readFileSync(file, "utf8"), drop: async () => {} };
  const schema = freshSchemaUrl(base);
  writeFileSync(file, schema.url, { mode: 0o600 });
  return schema;
}
