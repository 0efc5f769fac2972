import { fileURLToPath } from "node:url";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";

export const MIGRATIONS_FOLDER = fileURLToPath(new URL("./migrations", import.meta.url));

/** Arbitrary, fixed: the advisory lock instances take to migrate one at a time. */
const MIGRATION_LOCK = 0x686f746c696e65n; // "hotline"

/** The database cannot be used: the start stops, naming DATABASE_URL (never its password). */
export class StoreUnavailableError extends Error {
  override name = "StoreUnavailableError";
}

export type Sql = postgres.Sql;
/** A query function inside a transaction. */
export type Tx = postgres.TransactionSql;

export interface PostgresTarget {
  /** The URL without hotline's own parameters, for the client. */
  url: string;
  /** The schema the tables live in (`?schema=` in DATABASE_URL; default `public`). */
  schema: string;
  /** The URL as it can be shown: no password. */
  shown: string;
}

/** Reads DATABASE_URL: `postgres://user:password@host:port/db[?schema=name]`. */
export function postgresTarget(databaseUrl: string): PostgresTarget {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    throw new StoreUnavailableError("DATABASE_URL is not a URL (postgres://user:password@host/db)");
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:")
    throw new StoreUnavailableError(
      `DATABASE_URL must start with postgres:// (got ${url.protocol}//)`,
    );
  const schema = url.searchParams.get("schema") ?? "public";
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema))
    throw new StoreUnavailableError(
      `DATABASE_URL: schema "${schema}" is not a plain lower-case name`,
    );
  url.searchParams.delete("schema");
  const shown = new URL(url);
  if (shown.password) shown.password = "***";
  return { url: url.toString(), schema, shown: shown.toString() };
}

/** A unique violation or a serialization failure: two instances raced for the same row. */
export function isRace(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === "23505" || code === "40P01" || code === "40001";
}

/** bigint columns hold epoch milliseconds and counts: numbers, not the client's strings. */
const types = {
  bigint: {
    to: 20,
    from: [20],
    serialize: (value: number) => String(value),
    parse: (value: string) => Number(value),
  },
};

export function openSql(target: PostgresTarget, options: { max: number }): Sql {
  return postgres(target.url, {
    max: options.max,
    types,
    onnotice: () => {},
    connect_timeout: 5,
    connection: { search_path: target.schema, application_name: "hotline" },
  }) as unknown as Sql;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits for the database to answer, briefly: a database that is starting with the bot gets a
 * few seconds; an unreachable one stops the start within `deadlineMs` with one line.
 */
export async function reachable(
  sql: Sql,
  target: PostgresTarget,
  deadlineMs: number,
): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (let delay = 250; ; delay = Math.min(delay * 2, 4000)) {
    try {
      await sql`select 1`;
      return;
    } catch (error) {
      if (Date.now() + delay >= deadline) {
        const reason = (error as Error).message.replaceAll(/\s+/g, " ");
        throw new StoreUnavailableError(
          `cannot use the database at DATABASE_URL (${target.shown}): ${reason}`,
        );
      }
      await sleep(delay);
    }
  }
}

/**
 * Creates the schema and brings the tables up to date, one instance at a time: instances starting
 * together wait on an advisory lock, and the later ones find nothing left to do.
 */
export async function migrateSchema(target: PostgresTarget): Promise<void> {
  const sql = openSql(target, { max: 1 });
  try {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK.toString()}::bigint)`;
    await sql.unsafe(`create schema if not exists "${target.schema}"`);
    await migrate(drizzle({ client: sql }), {
      migrationsFolder: MIGRATIONS_FOLDER,
      migrationsSchema: target.schema,
    });
    await sql`select pg_advisory_unlock(${MIGRATION_LOCK.toString()}::bigint)`;
  } finally {
    await sql.end();
  }
}
