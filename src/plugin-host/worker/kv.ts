import { and, eq, gt, isNull, like, or } from "drizzle-orm";
import type { SqlDatabase } from "../../platform/mod.ts";
import type { KeyValueStore } from "../../sdk/context.ts";
import { pluginKv } from "../../storage/schema.ts";

const escapeLike = (prefix: string) => prefix.replace(/[\\%_]/g, (c) => `\\${c}`);

/** The plugin's namespace of the shared plugin_kv table. */
export function createKeyValueStore(
  db: SqlDatabase,
  plugin: string,
  now: () => number,
): KeyValueStore {
  const scope = (key: string) => and(eq(pluginKv.plugin, plugin), eq(pluginKv.key, key));
  const live = () => or(isNull(pluginKv.expiresAt), gt(pluginKv.expiresAt, now()));
  return {
    async get<T>(key: string) {
      const row = db
        .select({ value: pluginKv.value })
        .from(pluginKv)
        .where(and(scope(key), live()))
        .get();
      return row ? (JSON.parse(row.value) as T) : undefined;
    },
    async set(key, value, options = {}) {
      const json = JSON.stringify(value);
      if (json === undefined)
        throw new TypeError(`kv.set("${key}"): value is not JSON-serialisable`);
      const expiresAt = options.ttlMs === undefined ? null : now() + options.ttlMs;
      db.insert(pluginKv)
        .values({ plugin, key, value: json, expiresAt, updatedAt: now() })
        .onConflictDoUpdate({
          target: [pluginKv.plugin, pluginKv.key],
          set: { value: json, expiresAt, updatedAt: now() },
        })
        .run();
    },
    async delete(key) {
      return (
        db.delete(pluginKv).where(scope(key)).returning({ key: pluginKv.key }).all().length > 0
      );
    },
    async list<T>(prefix = "") {
      return db
        .select({ key: pluginKv.key, value: pluginKv.value })
        .from(pluginKv)
        .where(
          and(eq(pluginKv.plugin, plugin), like(pluginKv.key, `${escapeLike(prefix)}%`), live()),
        )
        .orderBy(pluginKv.key)
        .all()
        .map((row) => ({ key: row.key, value: JSON.parse(row.value) as T }));
    },
  };
}
