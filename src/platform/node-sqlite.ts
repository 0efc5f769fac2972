/**
 * SQLite through `node:sqlite` behind the same synchronous drizzle database that `bun:sqlite` gives
 * on Bun. Used by the Deno adapter (Deno has no `bun:sqlite`); `node:sqlite` exists on Bun too, so
 * the Bun test suite can check this driver against the other one on the same files.
 *
 * drizzle 0.45 has no synchronous node:sqlite driver (only `sqlite-proxy`, which is async and would
 * change every transaction in the host). Its bun-sqlite *session* does not import `bun:sqlite`
 * (only its `driver` module does), and it needs a small surface of its client: `prepare` →
 * statement with `run/all/get/values`, `exec`, and `transaction(fn).deferred|immediate|exclusive()`.
 * `BunLikeDatabase` gives node:sqlite that surface, so row mapping, transactions and migrations run
 * through drizzle's own code, exactly as on Bun.
 */
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import type { ExtractTablesWithRelations } from "drizzle-orm";
import { SQLiteBunSession } from "drizzle-orm/bun-sqlite/session";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { BaseSQLiteDatabase, SQLiteSyncDialect } from "drizzle-orm/sqlite-core";
import type { SqlDatabase, SqliteHandle, SqliteOpenOptions } from "./types.ts";

/**
 * bun:sqlite binds `true`/`false` as 1/0 and `undefined` as NULL; node:sqlite rejects both. SQL
 * written against Bun (e.g. `sql\`… = ${flag}\``) must bind the same on Deno.
 */
function bindable(params: unknown[]): SQLInputValue[] {
  return params.map((value) => {
    if (typeof value === "boolean") return value ? 1 : 0;
    if (value === undefined) return null;
    return value as SQLInputValue;
  });
}

/** One prepared statement, answering the way bun:sqlite's `Statement` does. */
class BunLikeStatement {
  readonly #statement: StatementSync;

  constructor(statement: StatementSync) {
    this.#statement = statement;
  }

  run(...params: unknown[]) {
    const { changes, lastInsertRowid } = this.#statement.run(...bindable(params));
    return { changes: Number(changes), lastInsertRowid };
  }

  all(...params: unknown[]): unknown[] {
    this.#statement.setReturnArrays(false);
    return this.#statement.all(...bindable(params));
  }

  get(...params: unknown[]): unknown {
    this.#statement.setReturnArrays(false);
    return this.#statement.get(...bindable(params)) ?? null;
  }

  /** Rows as arrays in column order: drizzle maps selected fields by position. */
  values(...params: unknown[]): unknown[][] {
    this.#statement.setReturnArrays(true);
    return this.#statement.all(...bindable(params)) as unknown as unknown[][];
  }
}

type TransactionFunction<T> = (() => T) & {
  deferred(): T;
  immediate(): T;
  exclusive(): T;
};

/** The part of bun:sqlite's `Database` that drizzle's bun-sqlite session uses. */
class BunLikeDatabase {
  readonly #db: DatabaseSync;
  #savepoints = 0;

  constructor(path: string, readOnly: boolean) {
    this.#db = new DatabaseSync(path, { readOnly });
  }

  prepare(sql: string): BunLikeStatement {
    return new BunLikeStatement(this.#db.prepare(sql));
  }

  exec(sql: string): void {
    this.#db.exec(sql);
  }

  /**
   * Like bun:sqlite's (and better-sqlite3's): BEGIN … COMMIT, ROLLBACK when the function throws;
   * inside an open transaction a savepoint instead, so nesting works as it does on Bun.
   */
  transaction<T>(fn: () => T): TransactionFunction<T> {
    const run = (begin: string) => (): T => {
      if (this.#db.isTransaction) return this.#withSavepoint(fn);
      this.#db.exec(begin);
      try {
        const result = fn();
        this.#db.exec("COMMIT");
        return result;
      } catch (error) {
        // A failed COMMIT may already have ended the transaction (SQLite rolls back on some errors).
        if (this.#db.isTransaction) this.#db.exec("ROLLBACK");
        throw error;
      }
    };
    return Object.assign(run("BEGIN"), {
      deferred: run("BEGIN DEFERRED"),
      immediate: run("BEGIN IMMEDIATE"),
      exclusive: run("BEGIN EXCLUSIVE"),
    });
  }

  #withSavepoint<T>(fn: () => T): T {
    const name = `hotline_sp${++this.#savepoints}`;
    this.#db.exec(`SAVEPOINT ${name}`);
    try {
      const result = fn();
      this.#db.exec(`RELEASE ${name}`);
      return result;
    } catch (error) {
      this.#db.exec(`ROLLBACK TO ${name}`);
      this.#db.exec(`RELEASE ${name}`);
      throw error;
    } finally {
      this.#savepoints--;
    }
  }

  close(): void {
    this.#db.close();
  }
}

type BunDatabase = ConstructorParameters<typeof SQLiteBunSession>[0];
/** No relational schema: the host and plugins use the query builder only (as on Bun). */
type NoSchema = Record<string, never>;

/** Opens (creating if needed) a database file with node:sqlite, as a synchronous drizzle database. */
export function openNodeSqlite(path: string, options: SqliteOpenOptions = {}): SqliteHandle {
  const client = new BunLikeDatabase(path, options.readonly === true);
  const dialect = new SQLiteSyncDialect();
  // The session takes a bun:sqlite Database by type; it only calls what BunLikeDatabase has.
  const session = new SQLiteBunSession<NoSchema, ExtractTablesWithRelations<NoSchema>>(
    client as unknown as BunDatabase,
    dialect,
    undefined,
  );
  const db: SqlDatabase = new BaseSQLiteDatabase("sync", dialect, session, undefined);
  return {
    db,
    exec: (sql) => client.exec(sql),
    query(sql, params, rows) {
      const statement = client.prepare(sql);
      if (rows === "none") {
        statement.run(...params);
        return [];
      }
      return rows === "arrays" ? statement.values(...params) : statement.all(...params);
    },
    // What drizzle-orm/bun-sqlite/migrator does: the journal and SQL files, applied in one
    // transaction and recorded in `__drizzle_migrations` (hash, journal time), so a database
    // migrated by either runtime is up to date for the other.
    migrate: (migrationsFolder) =>
      dialect.migrate(
        readMigrationFiles({ migrationsFolder }),
        // The migrator's session type is schema-generic; this one has no schema, nothing else differs.
        session as unknown as Parameters<SQLiteSyncDialect["migrate"]>[1],
        { migrationsFolder },
      ),
    close: () => client.close(),
  };
}
