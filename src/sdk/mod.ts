/**
 * The plugin SDK: everything a plugin author imports, from one specifier (`hotline`).
 * Web-standard only, so a plugin runs unchanged under Bun and Deno.
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
export { z } from "zod";
export type * from "../core/events.ts";
/** The host's shared tables: read them, do not write them. */
export { chats, users } from "../storage/schema.ts";
export type {
  BaseContext,
  ChatRef,
  ContentResult,
  EventContext,
  FileStore,
  HttpMethod,
  KeyValueStore,
  Logger,
  Message,
  MessageInput,
  PluginContext,
  RouteHandler,
  SharedUser,
  StoredFile,
  TranscodingStatus,
} from "./context.ts";
export type { BeaconType, EventFor, FilterQuery, InChat } from "./filter.ts";
export { message, quickReply, toMessages, withQuickReply } from "./messages.ts";
export type { Handler, Handlers, PluginDefinition, SettingsOf, SettingsSchema } from "./plugin.ts";
export { definePlugin } from "./plugin.ts";
