/**
 * `ctx.db`: a drizzle database whose every statement goes to the host (drizzle's proxy drivers),
 * which runs it on the plugin state of the store in use. Typed as PostgreSQL's, like the tables
 * (see `tables.ts`): queries are awaited, the same on both stores.
 */
import type { SQLWrapper } from "drizzle-orm";
import { type PgDatabase, PgDialect } from "drizzle-orm/pg-core";
import { type PgRemoteQueryResultHKT, drizzle as pgProxy } from "drizzle-orm/pg-proxy";
import { SQLiteAsyncDialect } from "drizzle-orm/sqlite-core";
import { drizzle as sqliteProxy } from "drizzle-orm/sqlite-proxy";
import type { Dialect, KeyValueStore, StateQuery } from "../storage/plugin-state.ts";

type Postgres = PgDatabase<PgRemoteQueryResultHKT>;

/** The query builders, and raw SQL: everything both stores answer the same way. */
export interface PluginDatabase {
  select: Postgres["select"];
  selectDistinct: Postgres["selectDistinct"];
  insert: Postgres["insert"];
  update: Postgres["update"];
  delete: Postgres["delete"];
  $with: Postgres["$with"];
  with: Postgres["with"];
  /** Raw SQL (the `sql` tag from "hotline/db"), rows as objects keyed by column name. */
  execute<T extends Record<string, unknown> = Record<string, unknown>>(
    query: SQLWrapper,
  ): Promise<T[]>;
}

/** Inside `ctx.transaction`: the same database and key-value store, in one transaction. */
export interface PluginTransaction extends PluginDatabase {
  readonly kv: KeyValueStore;
}

/** Runs one statement where the plugin's state is (the host, over the worker's channel). */
export type StateExecutor = (query: StateQuery) => Promise<unknown[]>;

export function createPluginDatabase(dialect: Dialect, execute: StateExecutor): PluginDatabase {
  if (dialect === "postgres") {
    const db = pgProxy(async (sql, params, method) => ({
      // "all": drizzle maps the selected fields by position; "execute": raw SQL, rows as objects.
      rows: await execute({ sql, params, rows: method === "all" ? "arrays" : "objects" }),
    }));
    return facade(db as unknown as Postgres, new PgDialect(), execute);
  }
  const db = sqliteProxy(async (sql, params, method) => {
    if (method === "run") {
      await execute({ sql, params, rows: "none" });
      return { rows: [] };
    }
    const rows = await execute({ sql, params, rows: "arrays" });
    // "get" wants the one row itself.
    return { rows: method === "get" ? (rows[0] as unknown[]) : rows };
  });
  return facade(db as unknown as Postgres, new SQLiteAsyncDialect(), execute);
}

function facade(
  db: Postgres,
  dialect: {
    sqlToQuery(sql: ReturnType<SQLWrapper["getSQL"]>): { sql: string; params: unknown[] };
  },
  execute: StateExecutor,
): PluginDatabase {
  return {
    select: db.select.bind(db),
    selectDistinct: db.selectDistinct.bind(db),
    insert: db.insert.bind(db),
    update: db.update.bind(db),
    delete: db.delete.bind(db),
    $with: db.$with,
    with: db.with.bind(db),
    async execute<T>(query: SQLWrapper) {
      const { sql, params } = dialect.sqlToQuery(query.getSQL());
      return (await execute({ sql, params, rows: "objects" })) as T[];
    },
  };
}
