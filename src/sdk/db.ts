/**
 * `hotline/db`: the database toolkit that matches `ctx.db`: dialect-neutral table builders (a
 * table declared once runs on SQLite and on PostgreSQL), drizzle's operators, and the host's
 * shared tables. Separate from `hotline` because it ties a plugin to the drizzle version the host
 * runs; plugins that keep state in `ctx.kv` never import it.
 */
import { boolean, integer, table, text } from "./tables.ts";

export {
  and,
  asc,
  avg,
  between,
  count,
  countDistinct,
  desc,
  eq,
  exists,
  gt,
  gte,
  inArray,
  isNotNull,
  isNull,
  like,
  lt,
  lte,
  max,
  min,
  ne,
  not,
  notExists,
  notInArray,
  or,
  sql,
  sum,
} from "drizzle-orm";
export type { PluginDatabase, PluginTransaction } from "./database.ts";
export {
  boolean,
  index,
  integer,
  json,
  primaryKey,
  real,
  table,
  text,
  uniqueIndex,
} from "./tables.ts";

/**
 * The host's shared tables: read them, do not write them (writes fail). Kept by the host from
 * events: who follows the bot, cached profiles (`ctx.profile`), and the groups and rooms it is in.
 * Read them outside `ctx.transaction`: a transaction sees the plugins' tables only (SQLite).
 */
export const users = table("users", {
  userId: text("user_id").primaryKey(),
  displayName: text("display_name"),
  pictureUrl: text("picture_url"),
  statusMessage: text("status_message"),
  language: text("language"),
  following: boolean("following"),
  followedAt: integer("followed_at"),
  unfollowedAt: integer("unfollowed_at"),
  profileFetchedAt: integer("profile_fetched_at"),
  updatedAt: integer("updated_at").notNull(),
});

export const chats = table("chats", {
  chatKey: text("chat_key").primaryKey(),
  type: text("type", { enum: ["group", "room"] }).notNull(),
  chatId: text("chat_id").notNull(),
  member: boolean("member").notNull(),
  joinedAt: integer("joined_at"),
  leftAt: integer("left_at"),
  updatedAt: integer("updated_at").notNull(),
});
