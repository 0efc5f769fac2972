import { eq, is, SQL, sql } from "drizzle-orm";
import {
  getTableConfig,
  type SQLiteColumn,
  SQLiteSyncDialect,
  SQLiteTable,
} from "drizzle-orm/sqlite-core";
import type { SqlDatabase, SqliteHandle } from "../../platform/mod.ts";
import { pluginMigrations } from "./schema.ts";

export interface PluginMigration {
  id: string;
  sql: string;
}

const dialect = new SQLiteSyncDialect();
const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** Table names are prefixed with the plugin's name, so plugins never collide with each other or the host. */
export function tablePrefix(plugin: string): string {
  return `${plugin.replaceAll("-", "_")}_`;
}

function literal(value: unknown): string {
  if (is(value, SQL)) {
    const query = dialect.sqlToQuery(value);
    if (query.params.length > 0) throw new Error("a SQL default must not have parameters");
    return `(${query.sql})`;
  }
  if (typeof value === "number") return String(value);
  if (typeof value === "boolean") return value ? "1" : "0";
  if (typeof value === "string") return `'${value.replaceAll("'", "''")}'`;
  if (value === null) return "NULL";
  if (value instanceof Date) return String(value.getTime());
  return `'${JSON.stringify(value).replaceAll("'", "''")}'`;
}

function columnSql(column: SQLiteColumn, inline: { primary: boolean }): string {
  let definition = `${quote(column.name)} ${column.getSQLType()}`;
  if (inline.primary && column.primary) {
    definition += " PRIMARY KEY";
    if ((column as { autoIncrement?: boolean }).autoIncrement) definition += " AUTOINCREMENT";
  }
  if (column.notNull && !(inline.primary && column.primary)) definition += " NOT NULL";
  if (column.hasDefault && column.default !== undefined)
    definition += ` DEFAULT ${literal(column.default)}`;
  if (column.isUnique) definition += " UNIQUE";
  return definition;
}

function createTableSql(table: SQLiteTable): string[] {
  const config = getTableConfig(table);
  const parts = config.columns.map((column) => columnSql(column, { primary: true }));
  for (const key of config.primaryKeys)
    parts.push(`PRIMARY KEY (${key.columns.map((c) => quote(c.name)).join(", ")})`);
  for (const unique of config.uniqueConstraints)
    parts.push(`UNIQUE (${unique.columns.map((c) => quote(c.name)).join(", ")})`);
  return [
    `CREATE TABLE IF NOT EXISTS ${quote(config.name)} (${parts.join(", ")})`,
    ...indexSql(table),
  ];
}

function indexSql(table: SQLiteTable): string[] {
  const config = getTableConfig(table);
  return config.indexes.map((index) => {
    const columns = index.config.columns.map((c) =>
      is(c, SQL) ? dialect.sqlToQuery(c).sql : quote(c.name),
    );
    const unique = index.config.unique ? "UNIQUE " : "";
    return `CREATE ${unique}INDEX IF NOT EXISTS ${quote(index.config.name)} ON ${quote(config.name)} (${columns.join(", ")})`;
  });
}

function existingColumns(db: SqlDatabase, name: string): Set<string> {
  const rows = db.all<{ name: string }>(sql.raw(`PRAGMA table_info(${quote(name)})`));
  return new Set(rows.map((row) => row.name));
}

/**
 * Brings a plugin's declared tables up to date when the plugin loads. A fresh install creates the
 * current definitions and records every migration as applied (the definitions already include
 * them). An existing install runs the migrations it has not run yet, in order, then creates new
 * tables and adds new columns. Anything else (renames, type changes, drops) needs a migration.
 * A plugin that declares no tables keeps its schema in its migrations alone: they always run.
 *
 * A migration is a script, run whole by the connection's `exec` (drizzle's `run` takes a single
 * statement): splitting it ourselves would cut triggers and string literals apart at their `;`.
 */
export function ensurePluginTables(
  handle: Pick<SqliteHandle, "db" | "exec">,
  plugin: string,
  tables: SQLiteTable[],
  migrations: PluginMigration[],
  now: number,
): void {
  const prefix = tablePrefix(plugin);
  for (const table of tables) {
    const name = getTableConfig(table).name;
    if (!name.startsWith(prefix)) {
      throw new Error(
        `table "${name}" must be named with the plugin's prefix "${prefix}" (e.g. "${prefix}${name}")`,
      );
    }
  }
  const ids = new Set<string>();
  for (const migration of migrations) {
    if (ids.has(migration.id)) throw new Error(`migration id "${migration.id}" is declared twice`);
    ids.add(migration.id);
  }

  const { db, exec } = handle;
  db.transaction(
    (tx) => {
      // The same connection runs `exec` and the transaction, so the scripts are part of it.
      const fresh =
        tables.length > 0 &&
        tables.every(
          (table) =>
            existingColumns(tx as unknown as SqlDatabase, getTableConfig(table).name).size === 0,
        );
      const applied = new Set(
        tx
          .select({ id: pluginMigrations.id })
          .from(pluginMigrations)
          .where(eq(pluginMigrations.plugin, plugin))
          .all()
          .map((row) => row.id),
      );
      for (const migration of migrations) {
        if (applied.has(migration.id)) continue;
        if (!fresh) exec(migration.sql);
        tx.insert(pluginMigrations)
          .values({ plugin, id: migration.id, appliedAt: now })
          .onConflictDoNothing()
          .run();
      }
      for (const table of tables) {
        const config = getTableConfig(table);
        const columns = existingColumns(tx as unknown as SqlDatabase, config.name);
        if (columns.size === 0) {
          for (const statement of createTableSql(table)) tx.run(sql.raw(statement));
          continue;
        }
        for (const column of config.columns) {
          if (columns.has(column.name)) continue;
          if (column.primary || column.isUnique || (column.notNull && !column.hasDefault)) {
            throw new Error(
              `cannot add column "${column.name}" to "${config.name}": a new column must be nullable or have a default (or write a migration)`,
            );
          }
          tx.run(
            sql.raw(
              `ALTER TABLE ${quote(config.name)} ADD COLUMN ${columnSql(column, { primary: false })}`,
            ),
          );
        }
        for (const statement of indexSql(table)) tx.run(sql.raw(statement));
      }
    },
    { behavior: "immediate" },
  );
}

export function isTable(value: unknown): value is SQLiteTable {
  return is(value, SQLiteTable);
}
