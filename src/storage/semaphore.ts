/**
 * At most `permits` holders at a time; the others wait in arrival order, each no longer than its
 * own bound. Small enough to keep here: what a library would add is what this leaves out.
 */
export class Semaphore {
  #free: number;
  readonly #waiting: Array<(release: () => void) => void> = [];

  constructor(permits: number) {
    this.#free = permits;
  }

  /** Resolves with the release function; rejects with `onTimeout()` after `timeoutMs`. */
  acquire(timeoutMs: number, onTimeout: () => Error): Promise<() => void> {
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve(this.#releaser());
    }
    return new Promise((resolve, reject) => {
      const grant = (release: () => void) => {
        clearTimeout(timer);
        resolve(release);
      };
      const timer = setTimeout(() => {
        const index = this.#waiting.indexOf(grant);
        if (index !== -1) this.#waiting.splice(index, 1);
        reject(onTimeout());
      }, timeoutMs);
      this.#waiting.push(grant);
    });
  }

  /** Runs `work` holding a permit. */
  async run<T>(timeoutMs: number, onTimeout: () => Error, work: () => T | Promise<T>): Promise<T> {
    const release = await this.acquire(timeoutMs, onTimeout);
    try {
      return await work();
    } finally {
      release();
    }
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      if (next) next(this.#releaser());
      else this.#free++;
    };
  }
}
