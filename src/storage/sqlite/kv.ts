import { and, eq, gt, gte, isNull, lt, or } from "drizzle-orm";
import type { SqlDatabase } from "../../platform/mod.ts";
import type { KeyValueStore } from "../plugin-state.ts";
import { pluginKv } from "./schema.ts";

/**
 * The first string after every string that starts with `prefix`: the prefix with its last code
 * point incremented (a last U+10FFFF is dropped and the one before incremented). Undefined when no
 * string is above them all (an empty prefix, or one of U+10FFFF only). SQLite compares TEXT by
 * its UTF-8 bytes, which order as code points do, so the keys with the prefix are exactly those
 * in [prefix, end): case and the characters LIKE treats as wildcards (`_`, `%`, `\`) count as
 * themselves, and the range is a seek on the (plugin, key) primary key.
 */
function prefixEnd(prefix: string): string | undefined {
  const points = [...prefix];
  while (points.length > 0) {
    const last = (points.pop() as string).codePointAt(0) as number;
    if (last === 0x10ffff) continue;
    // The next code point that is a scalar value: surrogates cannot be stored as UTF-8.
    const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
    return points.join("") + String.fromCodePoint(next);
  }
  return undefined;
}

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
      const end = prefixEnd(prefix);
      return db
        .select({ key: pluginKv.key, value: pluginKv.value })
        .from(pluginKv)
        .where(
          and(
            eq(pluginKv.plugin, plugin),
            gte(pluginKv.key, prefix),
            end === undefined ? undefined : lt(pluginKv.key, end),
            live(),
          ),
        )
        .orderBy(pluginKv.key)
        .all()
        .map((row) => ({ key: row.key, value: JSON.parse(row.value) as T }));
    },
  };
}
