/**
 * The PostgreSQL server the PostgreSQL tests run against: `TEST_DATABASE_URL`. Without it they are
 * skipped, loudly, so that `npm test` works on a machine with only Node.js; CI sets
 * `HOTLINE_REQUIRE_POSTGRES=1` (and starts a server), and then a missing server fails the run.
 */
import postgres from "postgres";
import { freshSchemaUrl } from "../../src/dev/testing/postgres-schema.ts";
import { postgresTarget } from "../../src/storage/postgres/connection.ts";

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;

if (!TEST_DATABASE_URL) {
  if (process.env.HOTLINE_REQUIRE_POSTGRES === "1")
    throw new Error("HOTLINE_REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set: no PostgreSQL");
  console.warn("PostgreSQL tests skipped: set TEST_DATABASE_URL=postgres://… to run them");
}

/** A database URL whose tables (and plugin tables) live in a fresh schema, and a way to drop it. */
export function freshSchema(): { url: string; drop(): Promise<void> } {
  if (!TEST_DATABASE_URL) throw new Error("TEST_DATABASE_URL is not set");
  return freshSchemaUrl(TEST_DATABASE_URL);
}

/**
 * Throws, naming the server (never its password), when TEST_DATABASE_URL is set but PostgreSQL
 * cannot be used there (nothing answers, or it refuses the login). A suite that calls it first
 * fails at once, as a whole, instead of every test waiting out the store's start-up deadline on
 * its own (minutes for a file, where one line says it all).
 */
export async function assertPostgresAnswers(databaseUrl = TEST_DATABASE_URL): Promise<void> {
  if (!databaseUrl) return;
  const target = postgresTarget(databaseUrl);
  const sql = postgres(target.url, { max: 1, connect_timeout: 5, onnotice: () => {} });
  try {
    await sql`select 1`;
  } catch (error) {
    const reason = (error as Error).message.replaceAll(/\s+/g, " ");
    throw new Error(
      `TEST_DATABASE_URL is set but PostgreSQL cannot be used at ${target.shown}: ${reason}`,
    );
  } finally {
    await sql.end({ timeout: 1 });
  }
}
