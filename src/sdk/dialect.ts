import type { Dialect } from "../storage/plugin-state.ts";

/**
 * The SQL dialect plugin tables are built for. A plugin worker is told by the host before it
 * imports the plugin; any other process (a plugin's tests, which import its tables to read them)
 * follows `DATABASE_URL`, like the bot. A global, not a module variable: the plugin may reach
 * this module by another path (the SDK linked into the plugins directory).
 */
const KEY = Symbol.for("hotline.sql-dialect");

export function setDialect(dialect: Dialect): void {
  (globalThis as Record<symbol, unknown>)[KEY] = dialect;
}

export function currentDialect(): Dialect {
  const set = (globalThis as Record<symbol, unknown>)[KEY];
  if (set === "sqlite" || set === "postgres") return set;
  const url = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
    ?.env?.DATABASE_URL;
  return url && /^postgres(ql)?:/.test(url) ? "postgres" : "sqlite";
}
