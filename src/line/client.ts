import { HTTPFetchError, messagingApi } from "@line/bot-sdk";
import { DEFAULT_RETRY_POLICY, mayHaveReachedLine, type RetryPolicy, withRetry } from "./retry.ts";

export type Message = messagingApi.Message;

/** The one logging call the client makes; pino's logger and the worker's forwarder both fit. */
export interface RetryLog {
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface LineClientOptions {
  channelAccessToken: string;
  apiBaseUrl: string;
  dataApiBaseUrl: string;
  log: RetryLog;
  retry?: RetryPolicy;
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

export type PushResult = { ok: true; duplicate: boolean } | { ok: false; error: string };

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
  readonly api: messagingApi.MessagingApiClient;
  readonly blob: messagingApi.MessagingApiBlobClient;
  readonly #log: RetryLog;
  readonly #retry: RetryPolicy;

  constructor(options: LineClientOptions) {
    this.api = new messagingApi.MessagingApiClient({
      channelAccessToken: options.channelAccessToken,
      baseURL: options.apiBaseUrl,
    });
    this.blob = new messagingApi.MessagingApiBlobClient({
      channelAccessToken: options.channelAccessToken,
      baseURL: options.dataApiBaseUrl,
    });
    this.#log = options.log;
    this.#retry = options.retry ?? DEFAULT_RETRY_POLICY;
  }

  call<T>(endpoint: string, request: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return withRetry(
      this.#retry,
      request,
      (error, retry, delayMs) =>
        this.#log.warn(
          { endpoint, retry, delayMs: Math.round(delayMs), error: describeError(error) },
          "LINE API call failed, retrying",
        ),
      signal,
    );
  }

  async reply(replyToken: string, messages: Message[]): Promise<ReplyResult> {
    let maybeSent = false;
    try {
      await this.call("reply", async () => {
        try {
          return await this.api.replyMessage({ replyToken, messages });
        } catch (error) {
          if (mayHaveReachedLine(error)) maybeSent = true;
          throw error;
        }
      });
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
  async push(to: string, messages: Message[], retryKey: string): Promise<PushResult> {
    try {
      await this.call("push", () => this.api.pushMessage({ to, messages }, retryKey));
      return { ok: true, duplicate: false };
    } catch (error) {
      if (error instanceof HTTPFetchError && error.status === 409)
        return { ok: true, duplicate: true };
      return { ok: false, error: describeError(error) };
    }
  }
}
