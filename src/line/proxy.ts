import { randomBytes } from "node:crypto";
import { DEFAULT_CHANNEL } from "../core/channel.ts";
import { platform, type RunningServer } from "../platform/mod.ts";
import type { AccessToken } from "./access-token.ts";
import { type PushCall, type PushGuard, pushCall, settlePush } from "./proxy-pushes.ts";
import { endpointRate, type RateLimiter } from "./rate-limiter.ts";

export type { PushGuard } from "./proxy-pushes.ts";

/** LINE as the host reaches it, with the channels' tokens: never handed to a plugin's worker. */
export interface LineUpstream {
  apiBaseUrl: string;
  dataApiBaseUrl: string;
  /** The default channel's long-lived token, when `token` is not given. */
  channelAccessToken?: string;
  /** The token of the channel named so; undefined: no such channel. */
  token?(channel: string): AccessToken | undefined;
}

/** LINE as a plugin's worker reaches it: through the proxy, with a bearer of its own. */
export interface LineAccess {
  /** The Messaging API (api.line.me) behind the proxy. */
  apiBaseUrl: string;
  /** The data API (api-data.line.me: message content, rich menu images, audience files). */
  dataApiBaseUrl: string;
  /** Random, one per worker: good only at this proxy, and only until it is revoked. */
  capability: string;
}

export interface LineGrant {
  readonly access: LineAccess;
  /** The worker loaded this plugin: its pushes count as the plugin's. */
  identify(plugin: string): void;
  /** The worker is gone: its capability opens nothing from now on. */
  revoke(): void;
}

export interface LineProxyOptions {
  /**
   * The limiter of the channel named so (its host client's): plugins' calls in that channel draw
   * on the same buckets as the host's; undefined: not paced.
   */
  limiter?(channel: string): RateLimiter | undefined;
  /** Cost control for the pushes plugins make themselves (`ctx.api`), per channel. */
  pushes?: PushGuard;
}

/**
 * Messaging API requests are JSON of a few KB (a flex message is at most 30 KB, a reply or push
 * at most 5 of them); the cap only bounds a runaway worker. Responses are not capped: content
 * streams through.
 */
const MAX_REQUEST_BYTES = 4 << 20;
/**
 * The data API takes files: a rich menu image (1 MB at most), and the user ids of an audience,
 * up to 1,500,000 of them in one text file (about 50 MB).
 */
const MAX_DATA_REQUEST_BYTES = 64 << 20;

/** Headers about one connection rather than the request, and the two the proxy sets itself. */
const NOT_FORWARDED = new Set([
  "authorization",
  "connection",
  "content-length",
  "host",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/**
 * The plugin workers' way to LINE, so that the channel access token stays in the host: servers on
 * loopback, one in front of the Messaging API and one in front of the data API (LINE's SDK takes
 * a base URL that is an origin), that take a request bearing a worker's capability, put the real
 * token on it, send it on to LINE and hand the answer back as it comes. Retries stay with the
 * worker's client, which sees LINE's statuses and Retry-After unchanged; a worker that gives up
 * (its handler's deadline) closes the connection, which cancels the request to LINE.
 */
export class LineProxy {
  readonly #upstream: LineUpstream;
  /** Capabilities granted, with the plugin each worker loaded (once known). */
  readonly #grants = new Map<string, { plugin: string | undefined }>();
  readonly #options: LineProxyOptions;
  readonly #api: RunningServer;
  readonly #data: RunningServer;

  /** Starts listening, on free loopback ports. */
  constructor(upstream: LineUpstream, options: LineProxyOptions = {}) {
    this.#upstream = upstream;
    this.#options = options;
    this.#api = this.#serve(upstream.apiBaseUrl, MAX_REQUEST_BYTES);
    this.#data = this.#serve(upstream.dataApiBaseUrl, MAX_DATA_REQUEST_BYTES);
  }

  #tokenOf(channel: string): AccessToken | undefined {
    const { token, channelAccessToken: given } = this.#upstream;
    if (token) return token(channel);
    if (channel !== DEFAULT_CHANNEL || given === undefined) return undefined;
    return { current: async () => given, renew: async () => given };
  }

  /** A capability for one worker, and the URLs it is good at. */
  grant(): LineGrant {
    const capability = randomBytes(32).toString("base64url");
    const grant = { plugin: undefined as string | undefined };
    this.#grants.set(capability, grant);
    return {
      access: { apiBaseUrl: this.#api.url, dataApiBaseUrl: this.#data.url, capability },
      identify: (plugin) => {
        grant.plugin = plugin;
      },
      revoke: () => this.#grants.delete(capability),
    };
  }

  /** Revokes every capability and stops listening (the plugin host stops). */
  async stop(): Promise<void> {
    this.#grants.clear();
    await Promise.all([this.#api.stop(), this.#data.stop()]);
  }

  #serve(base: string, maxRequestBodySize: number): RunningServer {
    // Appended to the base as text: whatever the path, the request stays on LINE's host.
    const root = base.replace(/\/+$/, "");
    return platform.serve({
      hostname: "127.0.0.1",
      port: 0,
      maxRequestBodySize,
      fetch: (request) => {
        const { pathname, search } = new URL(request.url);
        return this.#forward(request, pathname, `${root}${pathname}${search}`);
      },
    });
  }

  async #forward(request: Request, path: string, target: string): Promise<Response> {
    // `<capability>` is the default channel's; `<capability>@<channel>` another one's.
    const bearer = request.headers.get("authorization")?.match(/^Bearer ([^\s@]+)(?:@(\S+))?$/);
    const [, capability, channel = DEFAULT_CHANNEL] = bearer ?? [];
    const grant = capability === undefined ? undefined : this.#grants.get(capability);
    if (grant === undefined) return answer(401, "not a plugin worker's current capability");
    const token = this.#tokenOf(channel);
    if (token === undefined) return answer(404, `no LINE channel "${channel}" is configured`);
    const headers = new Headers();
    for (const [name, value] of request.headers)
      if (!NOT_FORWARDED.has(name)) headers.set(name, value);
    const pushes = this.#options.pushes;
    let push: PushCall | undefined;
    let upstream: Response;
    try {
      // Buffered, so that LINE gets a Content-Length on every runtime (Deno's fetch sends a
      // stream chunked, whatever the header says); these bodies are bounded (see the caps above).
      const body = hasBody(request.method) ? await request.arrayBuffer() : undefined;
      push = pushes && pushCall(request.method, path, body);
      const refused = push && (await pushes?.refuse(channel, grant.plugin, push.recipients));
      if (refused) return lineError(403, refused);
      const { bucket, rate } = endpointRate(request.method, path);
      // The limiter of the channel the call goes to: shared with the host's calls in it.
      await this.#options.limiter?.(channel)?.take(bucket, rate, request.signal);
      const send = (value: string) => {
        headers.set("authorization", `Bearer ${value}`);
        return fetch(target, {
          method: request.method,
          headers,
          body,
          signal: request.signal,
          // A redirect goes back to the worker: the token must not follow it anywhere.
          redirect: "manual",
        });
      };
      const used = await token.current();
      upstream = await send(used);
      if (upstream.status === 401) {
        // A token hotline issues may have been revoked or expired early: one renewal, one retry.
        const renewed = await token.renew(used);
        if (renewed !== used) {
          await upstream.body?.cancel();
          upstream = await send(renewed);
        }
      }
    } catch (error) {
      // Like no answer at all, to the worker's retry policy: a 5xx LINE may have acted on.
      return answer(502, `LINE did not answer: ${error instanceof Error ? error.message : error}`);
    }
    if (pushes && push) await settlePush(pushes, channel, grant.plugin, push, upstream);
    return new Response(NULL_BODY.has(upstream.status) ? null : upstream.body, {
      status: upstream.status,
      statusText: upstream.statusText,
      headers: forwardedResponseHeaders(upstream.headers),
    });
  }
}

/** Statuses a Response may not be built with a body for. */
const NULL_BODY = new Set([204, 205, 304]);

function hasBody(method: string): boolean {
  return method !== "GET" && method !== "HEAD";
}

/** An error in LINE's shape, so the worker's SDK shows its message like LINE's own. */
function lineError(status: number, message: string): Response {
  return Response.json({ message }, { status });
}

function answer(status: number, text: string): Response {
  return new Response(text, { status, headers: { "content-type": "text/plain; charset=utf-8" } });
}

/**
 * LINE's headers, less the connection's own. fetch has decoded a compressed body already, so its
 * encoding and length no longer describe what is passed on; an uncompressed body keeps its length
 * (ctx.content reports it as the size).
 */
function forwardedResponseHeaders(upstream: Headers): Headers {
  const encoded = upstream.has("content-encoding");
  const headers = new Headers();
  for (const [name, value] of upstream) {
    if (NOT_FORWARDED.has(name) && name !== "content-length") continue;
    if (encoded && (name === "content-encoding" || name === "content-length")) continue;
    headers.append(name, value);
  }
  return headers;
}
