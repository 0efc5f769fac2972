import type { Message } from "../core/message.ts";

export interface Contribution {
  plugin: string;
  messages: Message[];
}

/** Why a plugin's messages did not go out; `permanent` when sending them again cannot help. */
export interface SendFailure {
  error: string;
  permanent?: boolean;
}

/** Per plugin: undefined when its messages went out (or it had none), else why they did not. */
export type FlushResult = Map<string, SendFailure | undefined>;

/**
 * Collects the replies of all plugins to one event, so the event gets one reply call. It flushes
 * when every plugin expected to handle the event has settled, or at the deadline, whichever comes
 * first: a slow plugin must not hold the others' replies past the token's short life.
 */
export class ReplyBatch {
  readonly #expected: Set<string>;
  readonly #contributions = new Map<string, Message[]>();
  readonly #timer: ReturnType<typeof setTimeout>;
  readonly #flush: (contributions: Contribution[], pending: string[]) => Promise<FlushResult>;
  readonly #order: (plugin: string) => number;
  #result: Promise<FlushResult> | undefined;
  #resolve!: (result: FlushResult) => void;
  readonly done: Promise<FlushResult>;

  /**
   * `order` ranks plugins in the merged reply, lowest first; equal ranks keep their order. `flush`
   * also learns which plugins were still working when it went (the deadline came first).
   */
  constructor(
    expected: Iterable<string>,
    deadlineMs: number,
    order: (plugin: string) => number,
    flush: (contributions: Contribution[], pending: string[]) => Promise<FlushResult>,
  ) {
    this.#expected = new Set(expected);
    this.#order = order;
    this.#flush = flush;
    this.done = new Promise((resolve) => {
      this.#resolve = resolve;
    });
    this.#timer = setTimeout(() => this.#start(), deadlineMs);
  }

  get flushed(): boolean {
    return this.#result !== undefined;
  }

  /** More of the event's plugins run now: wait for them too (until the deadline). */
  expect(plugins: Iterable<string>): void {
    if (this.#result) return;
    for (const plugin of plugins) this.#expected.add(plugin);
  }

  /** False once the batch has flushed: the caller must send these another way. */
  add(plugin: string, messages: Message[]): boolean {
    if (this.#result) return false;
    this.#contributions.set(plugin, [...(this.#contributions.get(plugin) ?? []), ...messages]);
    return true;
  }

  /** What the plugin added to the batch (its share of the merged reply). */
  contributionOf(plugin: string): Message[] {
    return this.#contributions.get(plugin) ?? [];
  }

  /** The plugin has finished; a failed plugin's unsent replies are discarded (its retry resends). */
  settle(plugin: string, ok: boolean): void {
    if (!ok && !this.#result) this.#contributions.delete(plugin);
    this.#expected.delete(plugin);
    if (this.#expected.size === 0) this.#start();
  }

  #start(): void {
    if (this.#result) return;
    clearTimeout(this.#timer);
    const contributions = [...this.#contributions]
      .map(([plugin, messages]) => ({ plugin, messages }))
      .sort((a, b) => this.#order(a.plugin) - this.#order(b.plugin));
    const pending = [...this.#expected];
    this.#result =
      contributions.length + pending.length === 0
        ? Promise.resolve(new Map())
        : this.#flush(contributions, pending);
    this.#result.then(this.#resolve, (error) => {
      const failure = { error: String(error) };
      this.#resolve(new Map(contributions.map((c) => [c.plugin, failure])));
    });
  }
}
