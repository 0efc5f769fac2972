import type { SentBatch } from "../core/sent.ts";

/** What a plugin's next version answered an event in its shadow run: recorded, never sent. */
export interface ShadowAnswer {
  /** The next version's content hash. */
  version: string | undefined;
  sent: SentBatch[];
  /** Why the run failed (a crash, a timeout), if it did. */
  error: string | null;
  at: number;
}

/**
 * The shadow runs' answers, by event and plugin, in memory: the newest `capacity` events (they
 * are for looking at beside the live answers while a change is tried, not for keeping).
 */
export class ShadowLog {
  readonly #answers = new Map<string, Map<string, ShadowAnswer>>();

  constructor(private readonly capacity = 10_000) {}

  record(eventId: string, plugin: string, answer: ShadowAnswer): void {
    const answers = this.#answers.get(eventId) ?? new Map<string, ShadowAnswer>();
    answers.set(plugin, answer);
    this.#answers.delete(eventId);
    this.#answers.set(eventId, answers);
    for (const oldest of this.#answers.keys()) {
      if (this.#answers.size <= this.capacity) break;
      this.#answers.delete(oldest);
    }
  }

  /** Per plugin with a shadow run of the event: its answer. */
  answersTo(eventId: string): Record<string, ShadowAnswer> {
    return Object.fromEntries(this.#answers.get(eventId) ?? []);
  }
}
