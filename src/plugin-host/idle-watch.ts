export interface IdleWatchOptions {
  /** Idle this long before `ask`; 0: never. */
  idleMs: number;
  /** Work in flight, or the worker is not ready to be parked yet. */
  busy(): boolean;
  /** Asks the worker how many timers of its own are pending; it answers through `answer`. */
  ask(): void;
  /** Idle for `idleMs`, and no timer of its own pending. */
  idle(): void;
  /** Idle for `idleMs`, but timers of its own are pending: kept, asked again later. */
  kept(timers: number): void;
}

/**
 * Tells when a plugin's worker has had no work for `idleMs`. One timer, re-armed only when it
 * fires: work in between just moves the time of the last work, so the delivery path pays nothing
 * for it. Once idle long enough the worker is asked whether timers of its own are still due (see
 * worker/timers.ts): a setup's `setInterval` would silently stop if it were parked.
 */
export class IdleWatch {
  readonly #o: IdleWatchOptions;
  /** performance.now(): idleness is wall time, not the host's clock. */
  #lastWorkAt = performance.now();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;

  constructor(options: IdleWatchOptions) {
    this.#o = options;
    if (options.idleMs > 0) this.#checkIn(options.idleMs);
  }

  /** A piece of work ended. */
  worked(): void {
    this.#lastWorkAt = performance.now();
  }

  /** The worker's answer to `ask`. */
  answer(timers: number): void {
    if (this.#stopped) return;
    const wait = this.#wait();
    if (wait === 0 && timers === 0) {
      this.#o.idle();
      return;
    }
    if (wait === 0) this.#o.kept(timers);
    this.#checkIn(wait > 0 ? wait : this.#o.idleMs);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  #checkIn(ms: number): void {
    this.#timer = setTimeout(() => {
      if (this.#stopped) return;
      const wait = this.#wait();
      if (wait > 0) this.#checkIn(wait);
      else this.#o.ask();
    }, ms);
  }

  /** How long until the worker has been idle for `idleMs`; 0 once it has. */
  #wait(): number {
    const { idleMs } = this.#o;
    if (this.#o.busy()) return idleMs;
    return Math.max(0, idleMs - (performance.now() - this.#lastWorkAt));
  }
}
