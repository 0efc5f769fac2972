/**
 * The PostgreSQL server the PostgreSQL tests run against: `TEST_DATABASE_URL`. Without it they are
 * skipped, loudly, so that `npm test` works on a machine with only Node.js; CI sets
 * `HOTLINE_REQUIRE_POSTGRES=1` (and starts a server), and then a missing server fails the run.
 */
import { freshSchemaUrl } from "../../src/dev/testing/postgres-schema.ts";

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
