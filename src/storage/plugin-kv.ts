import { type KeyValueStore, keyRange, type StateQuery } from "./plugin-state.ts";

/**
 * The statements of a driver's `plugin_kv` table, in its dialect. Parameters, in order: get
 * (plugin, key, now) → [value]; set (plugin, key, value, expiresAt, now); delete (plugin, key) →
 * [key]; list (plugin, start, now[, end]) → [key, value], ordered by key.
 */
export interface KvStatements {
  get: string;
  set: string;
  delete: string;
  list(bounded: boolean): string;
}

export type RunQuery = (query: StateQuery) => Promise<unknown[]>;

const arrays = (sql: string, params: unknown[]): StateQuery => ({ sql, params, rows: "arrays" });

/** A plugin's key-value store over a driver's statements, on a connection or in a transaction. */
export function createKeyValueStore(
  run: RunQuery,
  statements: KvStatements,
  plugin: string,
  now: () => number,
): KeyValueStore {
  return {
    async get<T>(key: string) {
      const [row] = (await run(arrays(statements.get, [plugin, key, now()]))) as string[][];
      return row ? (JSON.parse(row[0] as string) as T) : undefined;
    },
    async set(key, value, options = {}) {
      const json = JSON.stringify(value);
      if (json === undefined)
        throw new TypeError(`kv.set("${key}"): value is not JSON-serialisable`);
      const at = now();
      const expiresAt = options.ttlMs === undefined ? null : at + options.ttlMs;
      await run({ sql: statements.set, params: [plugin, key, json, expiresAt, at], rows: "none" });
    },
    async delete(key) {
      return (await run(arrays(statements.delete, [plugin, key]))).length > 0;
    },
    async list<T>(prefix = "") {
      const { start, end } = keyRange(prefix);
      const params = [plugin, start, now(), ...(end === undefined ? [] : [end])];
      const rows = (await run(arrays(statements.list(end !== undefined), params))) as string[][];
      return rows.map(([key, value]) => ({
        key: key as string,
        value: JSON.parse(value as string) as T,
      }));
    },
  };
}
