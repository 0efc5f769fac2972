import { dialectMismatch, tableSpec } from "../../storage/plugin-ddl.ts";
import type { Dialect, PluginSchema } from "../../storage/plugin-state.ts";
import type { ValidDefinition } from "../manifest.ts";

/**
 * What the plugin declares about its tables, in the store's dialect, for the host to apply; or
 * why the plugin cannot run on this store (a table made for the other dialect).
 */
export function pluginSchema(
  definition: Pick<ValidDefinition, "tables" | "migrations" | "tableRenames">,
  dialect: Dialect,
): PluginSchema | { refused: string } {
  const tables = Object.values(definition.tables ?? {});
  for (const table of tables) {
    const mismatch = dialectMismatch(table, dialect);
    if (mismatch) return { refused: mismatch };
  }
  try {
    return {
      tables: tables.map((table) => tableSpec(table, dialect)),
      migrations: (definition.migrations ?? []).map(({ id, sql }) => ({
        id,
        sql: typeof sql === "string" ? sql : sql[dialect],
      })),
      renames: definition.tableRenames ?? {},
    };
  } catch (error) {
    return { refused: (error as Error).message };
  }
}
