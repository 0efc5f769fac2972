/**
 * The stand-in's channels and their access tokens: long-lived ones given, and the ones LINE's
 * token endpoints issue (stateless `/oauth2/v3/token`, short-lived `/v2/oauth/accessToken`, v2.1
 * `/oauth2/v2.1/token` with a JWT assertion), each good for its channel only, until it expires or
 * is revoked. A request's bearer says which channel it is made for.
 */
import { Buffer } from "node:buffer";
import { type Outcome, randomToken } from "./wire.ts";

export interface StandInChannel {
  /** How tests name it (the bot's channel name, say). */
  name: string;
  /** A long-lived token it accepts, if any. */
  accessToken?: string;
  /** For tokens issued from the channel id and secret. */
  channelId?: string;
  channelSecret?: string;
  /** For v2.1 tokens: the public half of the channel's assertion signing key. */
  assertionKey?: { kid: string; publicKey: JsonWebKey };
}

/** A token a token endpoint issued. */
export interface IssuedToken {
  channel: string;
  kind: "stateless" | "short-lived" | "v2.1";
  expiresAt: number;
}

/** Lifetimes LINE documents, in seconds; tests shorten them with `lifetimes`. */
const LIFETIMES = { stateless: 900, "short-lived": 2_592_000, "v2.1": 2_592_000 };

const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

const invalidClient: Outcome = {
  status: 400,
  body: { error: "invalid_client", error_description: "Invalid 'client_credentials'." },
};

export class ChannelTokens {
  readonly #channels = new Map<string, StandInChannel>();
  readonly #issued = new Map<string, IssuedToken>();
  readonly #now: () => number;
  /** Seconds an issued token lives, by kind (shorter in tests). */
  lifetimes: Partial<Record<IssuedToken["kind"], number>> = {};

  constructor(now: () => number) {
    this.#now = now;
  }

  add(channel: StandInChannel): void {
    this.#channels.set(channel.name, channel);
  }

  /** The channel a bearer token is good for now; undefined: none (unknown, expired, revoked). */
  channelOf(token: string): string | undefined {
    for (const channel of this.#channels.values())
      if (channel.accessToken !== undefined && channel.accessToken === token) return channel.name;
    const issued = this.#issued.get(token);
    if (issued && this.#now() < issued.expiresAt) return issued.channel;
    return undefined;
  }

  /** Tokens issued so far (values included: the stand-in is a test's, not a secret's keeper). */
  issued(channel?: string): Array<IssuedToken & { token: string }> {
    return [...this.#issued]
      .map(([token, issued]) => ({ token, ...issued }))
      .filter((issued) => channel === undefined || issued.channel === channel);
  }

  /** LINE stops taking it at once (revoked, or expired earlier than said). */
  revoke(token: string): void {
    this.#issued.delete(token);
  }

  isTokenEndpoint(method: string, path: string): boolean {
    return method === "POST" && KINDS[path] !== undefined;
  }

  /** Answers a token endpoint, as LINE's reference documents it. */
  async issue(path: string, form: URLSearchParams): Promise<Outcome> {
    const kind = KINDS[path];
    if (kind === undefined || form.get("grant_type") !== "client_credentials")
      return { status: 400, body: { error: "unsupported_grant_type" } };
    const assertion = form.get("client_assertion");
    let channel: StandInChannel | undefined;
    if (kind === "v2.1" || (kind === "stateless" && assertion !== null)) {
      if (form.get("client_assertion_type") !== JWT_BEARER || assertion === null)
        return { status: 400, body: { error: "invalid_request" } };
      channel = await this.#verified(assertion);
      if (channel === undefined)
        return { status: 400, body: { error: "invalid_client", error_description: "JWT" } };
    } else {
      const id = form.get("client_id");
      const secret = form.get("client_secret");
      channel = [...this.#channels.values()].find(
        (c) => c.channelId !== undefined && c.channelId === id && c.channelSecret === secret,
      );
      if (channel === undefined) return invalidClient;
    }
    const seconds = this.lifetimes[kind] ?? LIFETIMES[kind];
    const token = randomToken(kind === "stateless" ? 120 : 64);
    this.#issued.set(token, {
      channel: channel.name,
      kind,
      expiresAt: this.#now() + seconds * 1000,
    });
    const body: Record<string, unknown> = {
      access_token: token,
      expires_in: seconds,
      token_type: "Bearer",
    };
    if (kind === "v2.1") body.key_id = randomToken(22);
    return { status: 200, body };
  }

  /** The channel whose registered key signed this assertion, if it is valid now. */
  async #verified(assertion: string): Promise<StandInChannel | undefined> {
    const [head, payload, signature] = assertion.split(".");
    if (head === undefined || payload === undefined || signature === undefined) return undefined;
    const header = decode(head) as { alg?: string; kid?: string } | undefined;
    const claims = decode(payload) as
      | { iss?: string; sub?: string; aud?: string; exp?: number; token_exp?: number }
      | undefined;
    if (header?.alg !== "RS256" || claims === undefined) return undefined;
    const channel = [...this.#channels.values()].find(
      (c) => c.assertionKey?.kid === header.kid && c.channelId === claims.iss,
    );
    if (!channel?.assertionKey || claims.sub !== claims.iss) return undefined;
    if (claims.aud !== "https://api.line.me/") return undefined;
    const nowSeconds = this.#now() / 1000;
    if (typeof claims.exp !== "number" || claims.exp < nowSeconds) return undefined;
    if (claims.exp > nowSeconds + 30 * 60 + 5) return undefined;
    const key = await crypto.subtle.importKey(
      "jwk",
      channel.assertionKey.publicKey,
      { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
      false,
      ["verify"],
    );
    const valid = await crypto.subtle.verify(
      "RSASSA-PKCS1-v1_5",
      key,
      Buffer.from(signature, "base64url"),
      new TextEncoder().encode(`${head}.${payload}`),
    );
    return valid ? channel : undefined;
  }
}

const KINDS: Record<string, IssuedToken["kind"] | undefined> = {
  "/oauth2/v3/token": "stateless",
  "/v2/oauth/accessToken": "short-lived",
  "/oauth2/v2.1/token": "v2.1",
};

function decode(part: string): unknown {
  try {
    return JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
}
