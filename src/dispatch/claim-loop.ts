/**
 * The claim loop of the dispatcher and of the scheduler. Asked to run from anywhere (new work, a
 * timer, a finished run), it runs one loop at a time, round after round while a round claimed
 * something or it was asked again meanwhile. Asks made in one turn start one loop, after the turn,
 * so that a request's work is all in place before the first claim.
 */
export interface ClaimLoopOptions {
  /** One round: claims what it can; resolves whether it claimed anything (false also to stop). */
  round(): Promise<boolean>;
  /** A round threw (the store could not answer): the loop stops; the owner decides when to retry. */
  failed(error: unknown): void;
  /** After every loop, whatever its end. */
  ended(): void;
}

export class ClaimLoop {
  readonly #o: ClaimLoopOptions;
  #running = false;
  #again = false;
  #scheduled = false;

  constructor(options: ClaimLoopOptions) {
    this.#o = options;
  }

  /** Whether a loop is running or about to start. */
  get busy(): boolean {
    return this.#running || this.#scheduled;
  }

  ask(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      void this.#run();
    });
  }

  async #run(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = true;
    try {
      do {
        this.#again = false;
        if (await this.#o.round()) this.#again = true;
      } while (this.#again);
    } catch (error) {
      this.#o.failed(error);
    } finally {
      this.#running = false;
      this.#o.ended();
    }
  }
}
