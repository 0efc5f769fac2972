import { HTTPFetchError } from "@line/bot-sdk";
import type { RetryPolicy } from "../config/options.ts";
import { abortableDelay } from "./abortable-delay.ts";
import { isMonthlyLimit } from "./monthly-limit.ts";

/**
 * 429 and 5xx are worth another try; other 4xx mean the request itself is wrong, and a 429 for
 * the monthly limit will not clear before next month.
 */
export function isRetryable(error: unknown): boolean {
  if (isMonthlyLimit(error)) return false;
  if (error instanceof HTTPFetchError) return error.status === 429 || error.status >= 500;
  // fetch rejects with a TypeError on connection failures: the request may never have arrived.
  return error instanceof TypeError;
}

/**
 * A failure after which LINE may still have acted on the request: its answer was a 5xx or never
 * arrived. A 429 is a refusal, and other 4xx reject the request itself.
 */
export function mayHaveReachedLine(error: unknown): boolean {
  if (error instanceof HTTPFetchError) return error.status >= 500;
  return error instanceof TypeError;
}

function retryAfterMs(error: unknown): number | undefined {
  if (!(error instanceof HTTPFetchError)) return undefined;
  const header = error.headers?.get("retry-after");
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** Exponential backoff with full jitter; LINE's Retry-After wins when it is given. */
export function retryDelayMs(policy: RetryPolicy, retry: number, error: unknown): number {
  const requested = retryAfterMs(error);
  if (requested !== undefined) return Math.min(requested, policy.maxDelayMs);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

export async function withRetry<T>(
  policy: RetryPolicy,
  call: () => Promise<T>,
  onRetry: (error: unknown, retry: number, delayMs: number) => void,
  signal?: AbortSignal,
): Promise<T> {
  for (let retry = 0; ; retry++) {
    // A caller that gave up (a handler past its deadline) starts no new request.
    signal?.throwIfAborted();
    try {
      return await call();
    } catch (error) {
      if (retry >= policy.retries || !isRetryable(error) || signal?.aborted) throw error;
      const wait = retryDelayMs(policy, retry, error);
      onRetry(error, retry + 1, wait);
      await abortableDelay(wait, signal);
    }
  }
}
