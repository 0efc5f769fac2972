/**
 * `hotline/db`: the database toolkit that matches `ctx.db` — drizzle's table builders and
 * operators, and the host's shared tables. Separate from `hotline` because it ties a plugin to
 * the drizzle version the host runs; plugins that keep state in `ctx.kv` never import it.
 */
export {
  and,
  asc,
  count,
  desc,
  eq,
  gt,
  gte,
  inArray,
  isNotNull,
  isNull,
  lt,
  lte,
  ne,
  not,
  or,
  sql,
} from "drizzle-orm";
export {
  blob,
  index,
  integer,
  primaryKey,
  real,
  sqliteTable,
  text,
  uniqueIndex,
} from "drizzle-orm/sqlite-core";
/** The host's shared tables: read them, do not write them. */
export { chats, users } from "../storage/sqlite/schema.ts";
