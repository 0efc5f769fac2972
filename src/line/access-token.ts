/**
 * A channel's access token as the host holds it: given (long-lived), or issued by hotline at
 * LINE's token endpoints and renewed before it expires. A token's value is never logged, and no
 * error made here carries one.
 */
import type { TokenSpec } from "../config/channels.ts";
import type { Clock } from "../core/clock.ts";
import { signedAssertion } from "./jwt-assertion.ts";

export interface AccessToken {
  /** A token good for a while yet: the current one, or one issued now. */
  current(): Promise<string>;
  /**
   * LINE refused `stale` (401): a new one, issued once however many calls ask at the same time;
   * a token that cannot be renewed (long-lived) comes back as it is.
   */
  renew(stale: string): Promise<string>;
}

export class TokenIssueError extends Error {
  override name = "TokenIssueError";
}

/** The endpoint each kind of issued token comes from (LINE's Messaging API reference). */
const ENDPOINTS = {
  stateless: "/oauth2/v3/token",
  "short-lived": "/v2/oauth/accessToken",
  "v2.1": "/oauth2/v2.1/token",
} as const;

/** v2.1 tokens count against 30 per channel until they expire: a day each keeps that far off. */
const V21_TOKEN_SECONDS = 86_400;
/** An issue LINE does not answer within this fails (the call waiting for it fails, and retries). */
const ISSUE_TIMEOUT_MS = 10_000;
/** Renewed when a tenth of its life is left, and at least this long before it ends. */
const MIN_MARGIN_MS = 30_000;

export function accessTokenOf(spec: TokenSpec, apiBaseUrl: string, clock: Clock): AccessToken {
  if (spec.kind === "long-lived") return staticToken(spec.token);
  return new IssuedToken(spec, apiBaseUrl.replace(/\/+$/, ""), clock);
}

function staticToken(token: string): AccessToken {
  return { current: async () => token, renew: async () => token };
}

interface Held {
  value: string;
  /** When it should be replaced: before LINE stops taking it. */
  renewAt: number;
}

/** A token hotline issues itself; one issue at a time, shared by every call waiting for it. */
export class IssuedToken implements AccessToken {
  readonly #spec: Exclude<TokenSpec, { kind: "long-lived" }>;
  readonly #base: string;
  readonly #clock: Clock;
  #held: Held | undefined;
  #issuing: Promise<string> | undefined;

  constructor(spec: Exclude<TokenSpec, { kind: "long-lived" }>, base: string, clock: Clock) {
    this.#spec = spec;
    this.#base = base;
    this.#clock = clock;
  }

  current(): Promise<string> {
    const held = this.#held;
    if (held && this.#clock.now() < held.renewAt) return Promise.resolve(held.value);
    return this.#issue();
  }

  renew(stale: string): Promise<string> {
    // Another call renewed it already: that one is as new as this call needs.
    if (this.#held && this.#held.value !== stale) return Promise.resolve(this.#held.value);
    return this.#issue();
  }

  #issue(): Promise<string> {
    this.#issuing ??= this.#request().finally(() => {
      this.#issuing = undefined;
    });
    return this.#issuing;
  }

  async #request(): Promise<string> {
    const spec = this.#spec;
    const issuedAt = this.#clock.now();
    const form = new URLSearchParams({ grant_type: "client_credentials" });
    if (spec.kind === "v2.1") {
      const assertion = await signedAssertion({
        channelId: spec.channelId,
        keyId: spec.keyId,
        privateKey: spec.privateKey,
        nowSeconds: Math.floor(issuedAt / 1000),
        tokenSeconds: V21_TOKEN_SECONDS,
      });
      form.set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
      form.set("client_assertion", assertion);
    } else {
      form.set("client_id", spec.channelId);
      form.set("client_secret", spec.channelSecret);
    }
    let response: Response;
    try {
      response = await fetch(`${this.#base}${ENDPOINTS[spec.kind]}`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: form,
        signal: AbortSignal.timeout(ISSUE_TIMEOUT_MS),
      });
    } catch (error) {
      throw new TokenIssueError(`issuing a ${spec.kind} channel access token: ${reason(error)}`);
    }
    const body: unknown = await response.json().catch(() => undefined);
    const { access_token: value, expires_in: seconds } = (body ?? {}) as Record<string, unknown>;
    if (!response.ok || typeof value !== "string" || typeof seconds !== "number") {
      // LINE's error body names the problem (a wrong secret, an unknown key); it holds no token.
      const detail = response.ok ? "no token in the answer" : `HTTP ${response.status}`;
      const error = (body as { error_description?: unknown; message?: unknown } | undefined) ?? {};
      const said = error.error_description ?? error.message;
      throw new TokenIssueError(
        `issuing a ${spec.kind} channel access token: ${detail}${typeof said === "string" ? `: ${said}` : ""}`,
      );
    }
    const lifetimeMs = seconds * 1000;
    const margin = Math.max(lifetimeMs / 10, Math.min(MIN_MARGIN_MS, lifetimeMs / 2));
    this.#held = { value, renewAt: issuedAt + lifetimeMs - margin };
    return value;
  }
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
