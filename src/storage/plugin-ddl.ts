/**
 * A plugin's drizzle tables as DDL of the store's dialect: made in the worker, where the tables
 * are, and sent to the host as text (see `TableSpec`), which decides what to run.
 */
import { type Column, is, SQL, Table } from "drizzle-orm";
import { PgDialect, PgTable, getTableConfig as pgTableConfig } from "drizzle-orm/pg-core";
import {
  SQLiteSyncDialect,
  SQLiteTable,
  getTableConfig as sqliteTableConfig,
} from "drizzle-orm/sqlite-core";
import type { Dialect, TableSpec } from "./plugin-state.ts";

/** What both dialects' table configs have in common, as far as DDL goes. */
interface NeutralConfig {
  name: string;
  columns: Column[];
  primaryKeys: Array<{ columns: Column[] }>;
  uniqueConstraints: Array<{ columns: Column[] }>;
  indexes: Array<{
    config: { name?: string; columns: unknown[]; unique: boolean; where?: SQL };
  }>;
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

export function isTable(value: unknown): value is Table {
  return is(value, Table);
}

/** Why a table cannot be used on this dialect, or undefined when it can. */
export function dialectMismatch(table: Table, dialect: Dialect): string | undefined {
  if (dialect === "postgres" && is(table, SQLiteTable))
    return `table "${sqliteTableConfig(table).name}" is a SQLite table (sqliteTable): on PostgreSQL, declare it with table() from "hotline/db"`;
  if (dialect === "sqlite" && is(table, PgTable))
    return `table "${pgTableConfig(table).name}" is a PostgreSQL table (pgTable): on SQLite, declare it with table() from "hotline/db"`;
  return undefined;
}

class Renderer {
  readonly #dialect: Dialect;
  readonly #sql: PgDialect | SQLiteSyncDialect;

  constructor(dialect: Dialect) {
    this.#dialect = dialect;
    this.#sql = dialect === "postgres" ? new PgDialect() : new SQLiteSyncDialect();
  }

  config(table: Table): NeutralConfig {
    return (is(table, PgTable)
      ? pgTableConfig(table)
      : sqliteTableConfig(table as SQLiteTable)) as unknown as NeutralConfig;
  }

  /** SQL without parameters (defaults, index expressions and conditions are DDL). */
  fragment(value: SQL): string {
    const query = this.#sql.sqlToQuery(value);
    if (query.params.length > 0)
      throw new Error(`a default or index condition must not have parameters: ${query.sql}`);
    return query.sql;
  }

  literal(value: unknown): string {
    if (is(value, SQL)) return `(${this.fragment(value)})`;
    if (typeof value === "number") return String(value);
    if (typeof value === "boolean")
      return this.#dialect === "postgres" ? String(value) : value ? "1" : "0";
    if (typeof value === "string") return `'${value.replaceAll("'", "''")}'`;
    if (value === null) return "NULL";
    if (value instanceof Date) return String(value.getTime());
    return `'${JSON.stringify(value).replaceAll("'", "''")}'`;
  }

  column(column: Column, inline: { primary: boolean }): string {
    let definition = `${quote(column.name)} ${column.getSQLType()}`;
    const primary = inline.primary && column.primary;
    if (primary) {
      definition += " PRIMARY KEY";
      if ((column as { autoIncrement?: boolean }).autoIncrement) definition += " AUTOINCREMENT";
    }
    if (column.notNull && !primary) definition += " NOT NULL";
    if (column.default !== undefined) definition += ` DEFAULT ${this.literal(column.default)}`;
    if (column.isUnique) definition += " UNIQUE";
    return definition;
  }
}

/** Only nullable columns, or columns with a database default, can be added to existing rows. */
function addable(column: Column): boolean {
  return !column.primary && !column.isUnique && (!column.notNull || column.default !== undefined);
}

/** The table's DDL in the dialect: create, add each column, create each index. */
export function tableSpec(table: Table, dialect: Dialect): TableSpec {
  const render = new Renderer(dialect);
  const config = render.config(table);
  const names = (columns: Column[]) => columns.map((c) => quote(c.name)).join(", ");
  const parts = config.columns.map((column) => render.column(column, { primary: true }));
  for (const key of config.primaryKeys) parts.push(`PRIMARY KEY (${names(key.columns)})`);
  for (const unique of config.uniqueConstraints) parts.push(`UNIQUE (${names(unique.columns)})`);
  return {
    name: config.name,
    create: `CREATE TABLE IF NOT EXISTS ${quote(config.name)} (${parts.join(", ")})`,
    columns: config.columns.map((column) => ({
      name: column.name,
      add: addable(column)
        ? `ALTER TABLE ${quote(config.name)} ADD COLUMN ${render.column(column, { primary: false })}`
        : undefined,
    })),
    indexes: config.indexes.map(({ config: index }) => {
      const columns = index.columns.map((c) =>
        is(c, SQL) ? render.fragment(c) : quote((c as { name: string }).name),
      );
      const name =
        index.name ??
        `${config.name}_${index.columns.map((c) => (c as { name?: string }).name ?? "expr").join("_")}_index`;
      const where = index.where ? ` WHERE ${render.fragment(index.where)}` : "";
      const unique = index.unique ? "UNIQUE " : "";
      return {
        name,
        create: `CREATE ${unique}INDEX IF NOT EXISTS ${quote(name)} ON ${quote(config.name)} (${columns.join(", ")})${where}`,
      };
    }),
  };
}
