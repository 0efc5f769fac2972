/**
 * A plugin's postback routes inside its worker: actions built for a route carry signed data
 * (`hl:<plugin>:<route>:<payload>:<mac>`), and data that comes back reaches the route's handler
 * only when it verifies with the plugin's key and passes the route's schema.
 */
import type { messagingApi } from "@line/bot-sdk";
import type { z } from "zod";
import { action } from "../../sdk/builders/actions.ts";
import type { DatetimePickerOptions, PostbackOptions } from "../../sdk/command-types.ts";
import type { EventContext } from "../../sdk/context.ts";
import {
  decodePostbackData,
  encodePostbackData,
  PostbackDataError,
} from "../../sdk/postback-data.ts";

export type PostbackHandle = (data: unknown, event: unknown, ctx: unknown) => unknown;

export interface PluginPostbacks {
  plugin: string;
  routes: ReadonlyMap<string, { data: z.ZodType; handle: PostbackHandle }>;
  /** From the host (`postback.key`); undefined when the plugin declares no routes. */
  key: Uint8Array | undefined;
}

/** The route's data, checked by its schema and signed; throws when either cannot be done. */
function signedData(postbacks: PluginPostbacks, route: string, data: unknown): string {
  const spec = postbacks.routes.get(route);
  if (!spec || !postbacks.key)
    throw new PostbackDataError(`${postbacks.plugin} has no postback route "${route}"`);
  const checked = spec.data.safeParse(data);
  if (!checked.success)
    throw new PostbackDataError(
      `postback data for "${route}": ${checked.error.issues[0]?.message ?? "invalid"}`,
    );
  // The input goes in, not the output: the schema reads it again when it comes back.
  return encodePostbackData(postbacks.key, { plugin: postbacks.plugin, route }, data);
}

export function postbackAction(
  postbacks: PluginPostbacks,
  route: string,
  data: unknown,
  options: PostbackOptions,
): messagingApi.PostbackAction {
  const { label, ...rest } = options;
  return action.postback(label, signedData(postbacks, route, data), rest);
}

export function datetimePickerAction(
  postbacks: PluginPostbacks,
  route: string,
  data: unknown,
  options: DatetimePickerOptions,
): messagingApi.DatetimePickerAction {
  const { label, mode, ...range } = options;
  return action.datetime(label, signedData(postbacks, route, data), mode, range);
}

/** The route's data, or why it never reaches the handler. */
function verified(postbacks: PluginPostbacks, route: string, data: unknown) {
  if (!postbacks.key) return { refused: "the plugin declares no postback routes" };
  if (typeof data !== "string") return { refused: "the postback carries no data" };
  try {
    const decoded = decodePostbackData(postbacks.key, data);
    const spec = postbacks.routes.get(decoded.route);
    if (decoded.route !== route || !spec) return { refused: `no postback route "${route}"` };
    const parsed = spec.data.safeParse(decoded.payload);
    if (!parsed.success)
      return { refused: `data fails the route's schema: ${parsed.error.issues[0]?.message}` };
    return { spec, data: parsed.data };
  } catch (error) {
    if (error instanceof PostbackDataError) return { refused: error.message };
    throw error;
  }
}

/**
 * Runs the route's handler with the verified data. Data that does not verify (altered, another
 * plugin's, stale) is logged and dropped: the delivery still succeeds, since a retry would fail
 * the same way.
 */
export async function runPostback(
  postbacks: PluginPostbacks,
  route: string,
  event: unknown,
  ctx: EventContext<unknown>,
): Promise<void> {
  const data = (event as { postback?: { data?: unknown } }).postback?.data;
  const result = verified(postbacks, route, data);
  if ("refused" in result) {
    ctx.log.warn({ route }, `postback refused: ${result.refused}`);
    return;
  }
  await result.spec.handle(result.data, event, ctx);
}
