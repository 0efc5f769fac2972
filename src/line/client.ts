import { HTTPFetchError, messagingApi } from "@line/bot-sdk";
import type { RetryPolicy } from "../config/options.ts";
import type { Message } from "../core/message.ts";
import type { AccessToken } from "./access-token.ts";
import { isMonthlyLimit } from "./monthly-limit.ts";
import { namedRate, RateLimiter } from "./rate-limiter.ts";
import { mayHaveReachedLine, withRetry } from "./retry.ts";

/** The one logging call the client makes; pino's logger and the worker's forwarder both fit. */
export interface RetryLog {
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface LineClientOptions {
  channelAccessToken: string;
  /** A token hotline issues and renews; when set, it replaces `channelAccessToken`. */
  token?: AccessToken;
  apiBaseUrl: string;
  /** Where rich menu images go (LINE's data API; default: `apiBaseUrl`). */
  dataApiBaseUrl?: string;
  log: RetryLog;
  retry: RetryPolicy;
  /**
   * Called once per HTTP attempt (retries included) with the endpoint and how it ended: the HTTP
   * status, "2xx" when the SDK hides the exact success code, or "network" when no answer came.
   */
  onCall?(endpoint: string, status: string): void;
  /**
   * Paces the calls under LINE's per-channel rate limits (default: one of its own). One client
   * per channel: give the plugin proxy of the same channel the same limiter.
   */
  limiter?: RateLimiter;
}

export interface CallOptions {
  signal?: AbortSignal;
  /** Where this call's retry warnings go: a logger bound to the event the call is made for. */
  log?: RetryLog;
}

/** How one attempt ended, for metrics; a Response (content fetched raw) carries its own status. */
function attemptStatus(outcome: unknown, failed: boolean): string {
  if (!failed) return outcome instanceof Response ? String(outcome.status) : "2xx";
  if (outcome instanceof HTTPFetchError) return String(outcome.status);
  return "network";
}

export type ReplyResult =
  | { ok: true }
  | {
      ok: false;
      /** The token was used, expired or unknown to LINE. */
      invalidToken: boolean;
      /**
       * A try of this call failed in a way LINE may still have acted on (5xx, no answer): the reply
       * may have been sent, and a later "invalid reply token" may mean that try used the token.
       */
      maybeSent: boolean;
      error: string;
    };

export type PushResult =
  | { ok: true; duplicate: boolean }
  /** `monthlyLimit`: LINE refused it with "You have reached your monthly limit." (not retried). */
  | { ok: false; error: string; monthlyLimit: boolean };

/** LINE's error body ("message" plus "details") is the useful part of a failed call. */
export function describeError(error: unknown): string {
  if (error instanceof HTTPFetchError) {
    return `HTTP ${error.status}${error.body ? `: ${error.body}` : ""}`;
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * The Messaging API as the host uses it: the official SDK's clients, with retries on 429/5xx
 * (honouring Retry-After) and reply/push outcomes classified for the fallback rules.
 */
export class LineClient {
  #api: messagingApi.MessagingApiClient;
  #apiToken: string;
  #blob: messagingApi.MessagingApiBlobClient | undefined;
  readonly #baseURL: string;
  readonly #dataBaseURL: string;
  readonly #token: AccessToken | undefined;
  readonly #log: RetryLog;
  readonly #retry: RetryPolicy;
  readonly #onCall: LineClientOptions["onCall"];
  readonly limiter: RateLimiter;

  constructor(options: LineClientOptions) {
    this.#baseURL = options.apiBaseUrl;
    this.#dataBaseURL = options.dataApiBaseUrl ?? options.apiBaseUrl;
    this.#apiToken = options.channelAccessToken;
    this.#api = new messagingApi.MessagingApiClient({
      channelAccessToken: options.channelAccessToken,
      baseURL: options.apiBaseUrl,
    });
    this.#token = options.token;
    this.#log = options.log;
    this.#retry = options.retry;
    this.#onCall = options.onCall;
    this.limiter = options.limiter ?? new RateLimiter();
  }

  /** The SDK's client with the channel's current token (read it inside a `call`'s request). */
  get api(): messagingApi.MessagingApiClient {
    return this.#api;
  }

  /** The SDK's data API client with the channel's current token (as `api`). */
  get blob(): messagingApi.MessagingApiBlobClient {
    this.#blob ??= new messagingApi.MessagingApiBlobClient({
      channelAccessToken: this.#apiToken,
      baseURL: this.#dataBaseURL,
    });
    return this.#blob;
  }

  /**
   * With a token hotline issues: the current one before the call, and on LINE's 401 one renewal
   * and one more try (a token revoked or expired early).
   */
  async call<T>(
    endpoint: string,
    request: () => Promise<T>,
    options: CallOptions = {},
  ): Promise<T> {
    const tokens = this.#token;
    if (!tokens) return this.#call(endpoint, request, options);
    this.#use(await tokens.current());
    try {
      return await this.#call(endpoint, request, options);
    } catch (error) {
      if (!(error instanceof HTTPFetchError) || error.status !== 401) throw error;
      this.#use(await tokens.renew(this.#apiToken));
      return this.#call(endpoint, request, options);
    }
  }

  #use(token: string): void {
    if (token === this.#apiToken) return;
    this.#apiToken = token;
    this.#blob = undefined;
    this.#api = new messagingApi.MessagingApiClient({
      channelAccessToken: token,
      baseURL: this.#baseURL,
    });
  }

  #call<T>(endpoint: string, request: () => Promise<T>, options: CallOptions): Promise<T> {
    const onCall = this.#onCall;
    const { bucket, rate } = namedRate(endpoint);
    const paced = async () => {
      await this.limiter.take(bucket, rate, options.signal);
      return request();
    };
    const attempt = onCall
      ? async () => {
          try {
            const result = await paced();
            onCall(endpoint, attemptStatus(result, false));
            return result;
          } catch (error) {
            onCall(endpoint, attemptStatus(error, true));
            throw error;
          }
        }
      : paced;
    const log = options.log ?? this.#log;
    return withRetry(
      this.#retry,
      attempt,
      (error, retry, delayMs) =>
        log.warn(
          { endpoint, retry, delayMs: Math.round(delayMs), error: describeError(error) },
          "LINE API call failed, retrying",
        ),
      options.signal,
    );
  }

  async reply(replyToken: string, messages: Message[], log?: RetryLog): Promise<ReplyResult> {
    let maybeSent = false;
    try {
      await this.call(
        "reply",
        async () => {
          try {
            return await this.api.replyMessage({ replyToken, messages });
          } catch (error) {
            if (mayHaveReachedLine(error)) maybeSent = true;
            throw error;
          }
        },
        log ? { log } : {},
      );
      return { ok: true };
    } catch (error) {
      const invalidToken =
        error instanceof HTTPFetchError &&
        error.status === 400 &&
        /invalid reply token/i.test(error.body);
      return { ok: false, invalidToken, maybeSent, error: describeError(error) };
    }
  }

  /** A 409 means LINE already accepted this retry key: the message was sent. */
  async push(
    to: string,
    messages: Message[],
    retryKey: string,
    log?: RetryLog,
  ): Promise<PushResult> {
    try {
      await this.call(
        "push",
        () => this.api.pushMessage({ to, messages }, retryKey),
        log ? { log } : {},
      );
      return { ok: true, duplicate: false };
    } catch (error) {
      if (error instanceof HTTPFetchError && error.status === 409)
        return { ok: true, duplicate: true };
      return { ok: false, error: describeError(error), monthlyLimit: isMonthlyLimit(error) };
    }
  }
}
