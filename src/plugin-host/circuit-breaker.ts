import type { CircuitBreakerPolicy } from "../config/options.ts";

/**
 * Pauses a plugin that keeps failing, so its retries stop burning through deliveries, then lets
 * deliveries through again after the cool-down: a success closes the circuit, a failure re-opens it.
 */
export class CircuitBreaker {
  #failures = 0;
  #openUntil: number | undefined;

  constructor(private readonly policy: CircuitBreakerPolicy) {}

  /** When the plugin is paused, the time it may be tried again. */
  pausedUntil(now: number): number | undefined {
    return this.#openUntil !== undefined && now < this.#openUntil ? this.#openUntil : undefined;
  }

  /** Half-open: the cool-down has passed and the next delivery decides (success closes it). */
  stateAt(now: number): "closed" | "open" | "half-open" {
    if (this.#openUntil === undefined) return "closed";
    return now < this.#openUntil ? "open" : "half-open";
  }

  get consecutiveFailures(): number {
    return this.#failures;
  }

  /** Returns true when this failure just opened the circuit. */
  record(ok: boolean, now: number): boolean {
    if (ok) {
      this.#failures = 0;
      this.#openUntil = undefined;
      return false;
    }
    this.#failures++;
    const halfOpen = this.#openUntil !== undefined && now >= this.#openUntil;
    if (this.#failures >= this.policy.threshold || halfOpen) {
      this.#openUntil = now + this.policy.cooldownMs;
      return true;
    }
    return false;
  }

  reset(): void {
    this.#failures = 0;
    this.#openUntil = undefined;
  }
}
