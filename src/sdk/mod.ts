/**
 * The plugin SDK: everything a plugin author imports, from one specifier (`hotline`).
 * Web-standard only, so a plugin runs unchanged under Bun and Deno.
 */
export { z } from "zod";
export type * from "../webhook/events.ts";
export type {
  ChatRef,
  ContentResult,
  EventContext,
  HttpMethod,
  KeyValueStore,
  Logger,
  Message,
  MessageInput,
  PluginContext,
  RouteHandler,
  SharedUser,
} from "./context.ts";
export type { BeaconType, EventFor, FilterQuery, InChat } from "./filter.ts";
export { message, quickReply, toMessages, withQuickReply } from "./messages.ts";
export type { Handler, Handlers, PluginDefinition, SettingsOf, SettingsSchema } from "./plugin.ts";
export { definePlugin } from "./plugin.ts";
