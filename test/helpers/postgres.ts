/**
 * The PostgreSQL server the PostgreSQL tests run against: `TEST_DATABASE_URL`. Without it they are
 * skipped, loudly, so that `npm test` works on a machine with only Node.js; CI sets
 * `HOTLINE_REQUIRE_POSTGRES=1` (and starts a server), and then a missing server fails the run.
 */
import postgres from "postgres";

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;

if (!TEST_DATABASE_URL) {
  if (process.env.HOTLINE_REQUIRE_POSTGRES === "1")
    throw new Error("HOTLINE_REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set: no PostgreSQL");
  console.warn("PostgreSQL tests skipped: set TEST_DATABASE_URL=postgres://… to run them");
}

/** A database URL whose tables live in a fresh schema, and a function that drops it. */
export function freshSchema(): { url: string; drop(): Promise<void> } {
  if (!TEST_DATABASE_URL) throw new Error("TEST_DATABASE_URL is not set");
  const schema = `t_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const url = new URL(TEST_DATABASE_URL);
  url.searchParams.set("schema", schema);
  return {
    url: url.toString(),
    async drop() {
      const sql = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
      await sql.unsafe(`drop schema if exists "${schema}" cascade`);
      await sql.end();
    },
  };
}
