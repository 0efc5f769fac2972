/**
 * Bringing a plugin's declared tables up to date at load, the same on both drivers: each gives a
 * `SchemaSession`, one transaction on the plugin state's connection.
 */
import {
  type Dialect,
  type PluginSchema,
  PluginStateError,
  type TableSpec,
  tablePrefix,
} from "./plugin-state.ts";

/** What applying a schema needs of a driver, inside one transaction. */
export interface SchemaSession {
  readonly dialect: Dialect;
  /** The table's columns; empty when there is no such table. */
  columns(table: string): Promise<Set<string>>;
  /** Runs DDL: one statement, or a migration script whole. */
  exec(script: string): Promise<void>;
  appliedMigrations(plugin: string): Promise<Set<string>>;
  recordMigration(plugin: string, id: string, now: number): Promise<void>;
}

/** Tables the drivers keep for plugins in the same place as plugin tables; never renamed. */
const STATE_TABLES = new Set([
  "plugin_kv",
  "plugin_migrations",
  "plugin_files",
  "plugin_file_uploads",
  "plugin_file_chunks",
]);

const DIALECT_NAMES: Record<Dialect, string> = { sqlite: "SQLite", postgres: "PostgreSQL" };

const refuse = (message: string) => new PluginStateError("schema", message);

/** Names must be `<prefix>__…`: the refusal says which name and what it should look like. */
function checkNames(plugin: string, schema: PluginSchema): void {
  const prefix = tablePrefix(plugin);
  const owned = (name: string) => name.startsWith(prefix) && name.length > prefix.length;
  for (const table of schema.tables) {
    if (!owned(table.name))
      throw refuse(
        `table "${table.name}" must be named with the plugin's prefix "${prefix}" (e.g. "${prefix}${table.name}"): names without it could reach another plugin's tables`,
      );
    for (const index of table.indexes) {
      if (!owned(index.name))
        throw refuse(
          `index "${index.name}" of table "${table.name}" must be named with the plugin's prefix "${prefix}"`,
        );
    }
  }
  const declared = new Set(schema.tables.map((table) => table.name));
  const legacyPrefix = `${plugin.replaceAll("-", "_")}_`;
  for (const [from, to] of Object.entries(schema.renames)) {
    if (!declared.has(to))
      throw refuse(`tableRenames: "${to}" is not one of the plugin's declared tables`);
    if (!from.startsWith(legacyPrefix) || STATE_TABLES.has(from))
      throw refuse(`tableRenames: "${from}" is not a name this plugin's tables ever had`);
  }
  const ids = new Set<string>();
  for (const migration of schema.migrations) {
    if (ids.has(migration.id)) throw refuse(`migration id "${migration.id}" is declared twice`);
    ids.add(migration.id);
  }
}

/**
 * A table of an older version is renamed to its declared name, keeping its rows, unless the
 * declared one exists already; its indexes named the old way go (the declared ones are made).
 */
async function renameLegacyTables(session: SchemaSession, schema: PluginSchema): Promise<void> {
  for (const [from, to] of Object.entries(schema.renames)) {
    if ((await session.columns(to)).size > 0 || (await session.columns(from)).size === 0) continue;
    await session.exec(`ALTER TABLE "${from}" RENAME TO "${to}"`);
    const table = schema.tables.find((t) => t.name === to) as TableSpec;
    for (const index of table.indexes) {
      const legacy = index.name.replace("__", "_");
      if (legacy !== index.name) await session.exec(`DROP INDEX IF EXISTS "${legacy}"`);
    }
  }
}

/**
 * A fresh install creates the current definitions and records every migration as applied (the
 * definitions already include them). An existing install runs the migrations it has not run yet,
 * in order, then creates new tables and adds new columns. Anything else (renames, type changes,
 * drops) needs a migration. A plugin that declares no tables keeps its schema in its migrations
 * alone: they always run. A migration is a script, run whole: splitting it ourselves would cut
 * triggers and string literals apart at their `;`.
 */
export async function applyPluginSchema(
  session: SchemaSession,
  plugin: string,
  schema: PluginSchema,
  now: number,
): Promise<void> {
  checkNames(plugin, schema);
  await renameLegacyTables(session, schema);
  let fresh = schema.tables.length > 0;
  for (const table of schema.tables)
    if ((await session.columns(table.name)).size > 0) fresh = false;
  const applied = await session.appliedMigrations(plugin);
  for (const migration of schema.migrations) {
    if (applied.has(migration.id)) continue;
    if (!fresh) {
      if (migration.sql === undefined)
        throw refuse(
          `migration "${migration.id}" has no ${DIALECT_NAMES[session.dialect]} version: this plugin cannot run on ${DIALECT_NAMES[session.dialect]}`,
        );
      await session.exec(migration.sql);
    }
    await session.recordMigration(plugin, migration.id, now);
  }
  for (const table of schema.tables) {
    // Read after the migrations: they may have made or changed the table.
    const columns = await session.columns(table.name);
    if (columns.size === 0) {
      await session.exec(table.create);
    } else {
      for (const column of table.columns) {
        if (columns.has(column.name)) continue;
        if (column.add === undefined)
          throw refuse(
            `cannot add column "${column.name}" to "${table.name}": a new column must be nullable or have a default (or write a migration)`,
          );
        await session.exec(column.add);
      }
    }
    for (const index of table.indexes) await session.exec(index.create);
  }
}
