/**
 * Dialect-neutral table declarations: a plugin declares its tables once with these and gets
 * drizzle tables of the store it runs on (SQLite or PostgreSQL). They are typed as PostgreSQL's,
 * whose query builders are awaited only (no `.get()`, `.run()`), so code that type-checks runs
 * on both; at run time each builder makes the current dialect's (see `dialect.ts`).
 */
import * as pg from "drizzle-orm/pg-core";
import * as lite from "drizzle-orm/sqlite-core";
import { currentDialect } from "./dialect.ts";

const onPostgres = () => currentDialect() === "postgres";

/**
 * A plugin table, named `<plugin name with - as _>__<table>` (e.g. `beacon_greeter__visits`);
 * the third argument gives indexes and composite keys, named with the same prefix.
 */
export const table = ((name: string, columns: never, extras?: never) =>
  onPostgres()
    ? pg.pgTable(name, columns, extras)
    : lite.sqliteTable(name, columns, extras)) as unknown as pg.PgTableFn;

/** Text; `{ enum: [...] }` narrows its type. */
export const text = ((name: string, config?: never) =>
  onPostgres() ? pg.text(name, config) : lite.text(name, config)) as unknown as typeof pg.text;

/** An integer up to 2^53 (epoch milliseconds fit): `integer` on SQLite, `bigint` on PostgreSQL. */
export const integer = ((name: string) =>
  onPostgres()
    ? pg.bigint(name, { mode: "number" })
    : lite.integer(name, { mode: "number" })) as unknown as (
  name: string,
) => ReturnType<typeof pg.bigint<string, "number">>;

/** A floating-point number: `real` on SQLite, `double precision` on PostgreSQL. */
export const real = ((name: string) =>
  onPostgres() ? pg.doublePrecision(name) : lite.real(name)) as unknown as (
  name: string,
) => ReturnType<typeof pg.doublePrecision<string>>;

/** true or false: `boolean` on PostgreSQL, 0 or 1 in an `integer` on SQLite. */
export const boolean = ((name: string) =>
  onPostgres() ? pg.boolean(name) : lite.integer(name, { mode: "boolean" })) as unknown as (
  name: string,
) => ReturnType<typeof pg.boolean<string>>;

/** A JSON value (type it with `.$type<T>()`): `jsonb` on PostgreSQL, text on SQLite. */
export const json = ((name: string) =>
  onPostgres() ? pg.jsonb(name) : lite.text(name, { mode: "json" })) as unknown as (
  name: string,
) => ReturnType<typeof pg.jsonb<string>>;

export const index = ((name: string) =>
  onPostgres() ? pg.index(name) : lite.index(name)) as unknown as (
  name: string,
) => pg.IndexBuilderOn;

export const uniqueIndex = ((name: string) =>
  onPostgres() ? pg.uniqueIndex(name) : lite.uniqueIndex(name)) as unknown as (
  name: string,
) => pg.IndexBuilderOn;

export const primaryKey = ((config: never) =>
  onPostgres()
    ? pg.primaryKey(config)
    : lite.primaryKey(config)) as unknown as typeof pg.primaryKey;
