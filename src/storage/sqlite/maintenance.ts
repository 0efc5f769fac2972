import { lte } from "drizzle-orm";
import type { SqlDatabase } from "../../platform/mod.ts";
import { pluginKv } from "./schema.ts";

/** Expired key-value entries are invisible to plugins already; this reclaims their rows. */
export function deleteExpiredKv(db: SqlDatabase, now: number): number {
  return db
    .delete(pluginKv)
    .where(lte(pluginKv.expiresAt, now))
    .returning({ key: pluginKv.key })
    .all().length;
}
