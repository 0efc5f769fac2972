/**
 * `ctx.api`: the official SDK's clients as a plugin's worker holds them (pointed at the host's
 * proxy, bearing the worker's capability), every call retried like the host's own, and the sending
 * calls keyed so that no retry, of the call or of the delivery, sends a message twice.
 */
import { HTTPFetchError, type messagingApi } from "@line/bot-sdk";
import type { CallOptions, LineClient } from "../../line/client.ts";
import {
  KEYED_METHODS,
  type LineApi,
  type LineSubClients,
  SUB_CLIENTS,
} from "../../line/plugin-api.ts";
import { retryKey } from "../../line/retry-key.ts";
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

/** The `X-Line-Retry-Key` for the next sending call to an endpoint (`push`, `multicast`…). */
export type RetryKeys = (endpoint: string) => string;

/**
 * In a handler: the n-th call to an endpoint in one delivery gets the same key on every attempt
 * and in every process, derived from the event, the plugin, the endpoint and n (as `ctx.push` is
 * keyed), so that a retried delivery's repeat of a send LINE already accepted is answered 409.
 * A job's run is keyed the same way, by the run in place of the event.
 */
export function eventRetryKeys(eventId: string, plugin: string): RetryKeys {
  const calls = new Map<string, number>();
  return (endpoint) => {
    const index = calls.get(endpoint) ?? 0;
    calls.set(endpoint, index + 1);
    return retryKey(eventId, plugin, `api:${endpoint}`, index);
  };
}

/**
 * Outside an event or a job's run (setup, routes) there is nothing stable to derive a key from,
 * and nothing in the host reruns such a call: a fresh key per call makes the client's own retries
 * of it safe, which is all the retrying there is.
 */
export const freshRetryKeys: RetryKeys = () => crypto.randomUUID();

/** What a call is made for: where its warnings go, what cancels it, how its sends are keyed. */
export interface ApiScope {
  log: Pick<Logger, "info" | "warn">;
  signal: AbortSignal;
  keys: RetryKeys;
}

/** `ctx.api` for one scope: the plugin's version, or one delivery (its log, deadline and keys). */
export function pluginApi(line: LineClient, clients: PluginClients, scope: ApiScope): LineApi {
  const options: CallOptions = { log: scope.log, signal: scope.signal };
  const members = Object.fromEntries(
    Object.entries(clients.subs).map(([name, client]) => [name, retrying(line, client, options)]),
  );
  // The other clients are own members of an object whose prototype is the Messaging API client:
  // `ctx.api.blob` is a real property, and `ctx.api instanceof MessagingApiClient` holds.
  const target = Object.freeze(Object.assign(Object.create(clients.messaging), members));
  return retrying(line, clients.messaging, options, target, scope) as LineApi;
}

type Method = (...args: unknown[]) => Promise<unknown>;

/** A view of `client` whose methods go through the host's retry policy (429/5xx, Retry-After). */
function retrying(
  line: LineClient,
  client: object,
  options: CallOptions,
  target: object = client,
  sending?: ApiScope,
): object {
  return new Proxy(target, {
    get(target, property) {
      if (Object.hasOwn(target, property)) return Reflect.get(target, property);
      const value: unknown = Reflect.get(client, property);
      if (typeof value !== "function") return value;
      const method = value as Method;
      const endpoint = String(property);
      const keyed = sending ? KEYED_METHODS.get(endpoint) : undefined;
      if (sending && keyed !== undefined)
        return (...args: unknown[]) => {
          // The plugin's own key wins; the index advances only for the calls keyed here, and
          // before any await, so calls started together keep the order they were made in.
          const key = args[1] === undefined ? sending.keys(keyed) : args[1];
          const keyedArgs = [args[0], key, ...args.slice(2)];
          return sendOnce(line, endpoint, () => method.apply(client, keyedArgs), options, sending);
        };
      return (...args: unknown[]) => line.call(endpoint, () => method.apply(client, args), options);
    },
  });
}

/**
 * A keyed send: a 409 means LINE accepted this key before (an earlier try of the call, or an
 * earlier attempt of the delivery), so the messages were sent: it resolves as that send did.
 */
async function sendOnce(
  line: LineClient,
  endpoint: string,
  send: () => Promise<unknown>,
  options: CallOptions,
  scope: ApiScope,
): Promise<unknown> {
  try {
    return await line.call(endpoint, send, options);
  } catch (error) {
    if (!(error instanceof HTTPFetchError) || error.status !== 409) throw error;
    scope.log.info({ endpoint }, "already accepted under this retry key (409): sent once");
    return accepted(endpoint, error);
  }
}

/**
 * What the SDK would have resolved with: for a push, the messages LINE sent (its 409 repeats
 * them), otherwise an empty body; the `WithHttpInfo` variants get the 409 response itself, whose
 * `x-line-accepted-request-id` names the request that was accepted.
 */
function accepted(endpoint: string, error: HTTPFetchError): unknown {
  const body = endpoint.startsWith("pushMessage") ? { sentMessages: sentMessages(error.body) } : {};
  if (!endpoint.endsWith("WithHttpInfo")) return body;
  const { status, statusText, headers } = error;
  return { httpResponse: new Response(error.body, { status, statusText, headers }), body };
}

function sentMessages(text: string): unknown[] {
  try {
    const parsed: unknown = JSON.parse(text);
    const sent = (parsed as { sentMessages?: unknown } | null)?.sentMessages;
    return Array.isArray(sent) ? sent : [];
  } catch {
    return [];
  }
}
