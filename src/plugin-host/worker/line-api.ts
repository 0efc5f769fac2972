/**
 * `ctx.api`: the official SDK's clients as a plugin's worker holds them (pointed at the host's
 * proxy, bearing the worker's capability), every call retried like the host's own.
 */
import type { messagingApi } from "@line/bot-sdk";
import type { CallOptions, LineClient } from "../../line/client.ts";
import { type LineApi, type LineSubClients, SUB_CLIENTS } from "../../line/plugin-api.ts";
import type { Logger } from "../../sdk/context.ts";

/** The SDK's clients of one worker, made once per plugin version. */
export interface PluginClients {
  messaging: messagingApi.MessagingApiClient;
  subs: LineSubClients;
}

/** Where the worker reaches LINE: the proxy's two servers, and its bearer there. */
export interface ProxyAccess {
  apiBaseUrl: string;
  dataApiBaseUrl: string;
  capability: string;
}

export function pluginClients(
  messaging: messagingApi.MessagingApiClient,
  access: ProxyAccess,
): PluginClients {
  const subs = Object.fromEntries(
    Object.entries(SUB_CLIENTS).map(([name, { host, Client }]) => [
      name,
      new Client({
        channelAccessToken: access.capability,
        baseURL: host === "data" ? access.dataApiBaseUrl : access.apiBaseUrl,
      }),
    ]),
  ) as unknown as LineSubClients;
  return { messaging, subs };
}

/** What a call is made for: where its warnings go, and what cancels it. */
export interface ApiScope {
  log: Pick<Logger, "warn">;
  signal: AbortSignal;
}

/** `ctx.api` for one scope: the plugin's version, or one delivery (its log and deadline). */
export function pluginApi(line: LineClient, clients: PluginClients, scope: ApiScope): LineApi {
  const options: CallOptions = { log: scope.log, signal: scope.signal };
  const members = Object.fromEntries(
    Object.entries(clients.subs).map(([name, client]) => [name, retrying(line, client, options)]),
  );
  // The other clients are own members of an object whose prototype is the Messaging API client:
  // `ctx.api.blob` is a real property, and `ctx.api instanceof MessagingApiClient` holds.
  const target = Object.freeze(Object.assign(Object.create(clients.messaging), members));
  return retrying(line, clients.messaging, options, target) as LineApi;
}

type Method = (...args: unknown[]) => Promise<unknown>;

/** A view of `client` whose methods go through the host's retry policy (429/5xx, Retry-After). */
function retrying(
  line: LineClient,
  client: object,
  options: CallOptions,
  target: object = client,
): object {
  return new Proxy(target, {
    get(target, property) {
      if (Object.hasOwn(target, property)) return Reflect.get(target, property);
      const value: unknown = Reflect.get(client, property);
      if (typeof value !== "function") return value;
      const method = value as Method;
      const endpoint = String(property);
      return (...args: unknown[]) => line.call(endpoint, () => method.apply(client, args), options);
    },
  });
}
