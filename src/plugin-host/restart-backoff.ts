const BASE_DELAY_MS = 1000;
const MAX_DELAY_MS = 60_000;

/**
 * Spaces the restarts of a worker that keeps dying before it handles anything, so a crash loop
 * does not spin: the first restart after the plugin did some work is immediate, each one after it
 * waits twice as long, up to a minute.
 */
export class RestartBackoff {
  #restarts = 0;
  #until = 0;

  /** No restart before this time. */
  get until(): number {
    return this.#until;
  }

  /** Restarts since the plugin last did its work. */
  get restarts(): number {
    return this.#restarts;
  }

  waits(now: number): boolean {
    return now < this.#until;
  }

  /** A restart begins now: the next one waits longer. */
  restarting(now: number): void {
    this.#restarts++;
    this.#until = now + Math.min(BASE_DELAY_MS * 2 ** (this.#restarts - 1), MAX_DELAY_MS);
  }

  /** The plugin did its work: a later death is restarted at once. */
  reset(): void {
    this.#restarts = 0;
    this.#until = 0;
  }
}
