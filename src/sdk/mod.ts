/**
 * The plugin SDK: everything a plugin author imports, from one specifier (`hotline`); the
 * database toolkit is `hotline/db`. Web-standard only, so a plugin runs unchanged under Bun and
 * Deno.
 */

/** The zod the host validates settings with: a settings schema made with it is checked the same. */
export { z } from "zod";
export type * from "../core/events.ts";
export { InvalidMessageError, type Violation } from "../line/validate.ts";
export { action } from "./builders/actions.ts";
export { flex } from "./builders/flex.ts";
export { IMAGEMAP_WIDTH, imagemap } from "./builders/imagemap.ts";
export { template } from "./builders/templates.ts";
export type {
  ArgsOf,
  CommandSpec,
  DatetimePickerOptions,
  PostbackOptions,
  PostbackSchemas,
  PostbackSpec,
} from "./command-types.ts";
export type {
  BaseContext,
  ChannelInfo,
  ChatRef,
  ContentResult,
  EventContext,
  FileStore,
  HttpMethod,
  JobContext,
  KeyValueStore,
  LineApi,
  LineSubClients,
  Logger,
  LogMethod,
  Message,
  MessageInput,
  PluginContext,
  PluginDatabase,
  PluginTransaction,
  Recipient,
  RouteHandler,
  SharedUser,
  StoredFile,
  TranscodingStatus,
} from "./context.ts";
export { fallback } from "./fallback.ts";
export type { BeaconType, EventFor, FilterQuery, InChat } from "./filter.ts";
export { message, quickReply, toMessages, withQuickReply } from "./messages.ts";
export type {
  Commands,
  Handler,
  Handlers,
  Jobs,
  MigrationSql,
  PluginDefinition,
  Postbacks,
  SettingsOf,
  SettingsSchema,
} from "./plugin.ts";
export { definePlugin } from "./plugin.ts";
export type {
  RichMenuAction,
  RichMenuArea,
  RichMenuBounds,
  RichMenuControl,
  RichMenuRouteAction,
  RichMenuSpec,
  RichMenus,
} from "./rich-menus.ts";
export type {
  JobSpec,
  ScheduledJob,
  ScheduleOptions,
  ScheduleStatus,
  Schedules,
  ScheduleTiming,
} from "./schedules.ts";
