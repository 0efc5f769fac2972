import type { Logger } from "../logging/logger.ts";

/**
 * What has been started, stopped again in reverse order: by `stop()`, and by a start that fails
 * half-way, the same way. A step that fails to stop is logged; the others still run.
 */
export class Lifecycle {
  readonly #steps: Array<{ name: string; stop: () => unknown }> = [];
  readonly #log: Logger;
  #unwinding: Promise<void> | undefined;

  constructor(log: Logger) {
    this.#log = log;
  }

  /** Registers how to undo what was just started. */
  defer(name: string, stop: () => unknown): void {
    this.#steps.push({ name, stop });
  }

  /** Stops everything registered, last first; once, however often it is called. */
  unwind(): Promise<void> {
    this.#unwinding ??= (async () => {
      for (const { name, stop } of this.#steps.reverse()) {
        try {
          await stop();
        } catch (error) {
          this.#log.error({ err: error, step: name }, "stopping failed; going on with the rest");
        }
      }
    })();
    return this.#unwinding;
  }
}
