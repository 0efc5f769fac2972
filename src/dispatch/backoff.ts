import type { BackoffPolicy } from "../config/options.ts";

/** Delay before retry number `attempt` (1-based): doubling, capped, ±20% jitter against herds. */
export function backoffDelay(policy: BackoffPolicy, attempt: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling * (0.8 + Math.random() * 0.4));
}
