import type { Clock } from "../core/clock.ts";

/** One delivery waiting its turn: a (chat, plugin) lane runs its items one at a time, in order. */
export interface LaneItem {
  eventId: string;
  plugin: string;
  chatKey: string;
  timestamp: number;
  seq: number;
  /** Not to run before this time (retry backoff, a paused plugin). */
  notBefore: number;
  /** Attempts already made (recorded in the delivery row too). */
  attempts: number;
  /** It did not run because its plugin could not take it: `wake()` makes it due at once. */
  deferred?: boolean;
}

export type RunResult =
  | { settled: true }
  /** `deferred`: not run (plugin paused or reloading), as opposed to a failed attempt's backoff. */
  | { settled: false; notBefore: number; deferred?: boolean };

const laneKey = (item: Pick<LaneItem, "chatKey" | "plugin">) =>
  `${item.chatKey}\u0000${item.plugin}`;
const before = (a: LaneItem, b: LaneItem) =>
  a.timestamp < b.timestamp || (a.timestamp === b.timestamp && a.seq < b.seq);

/**
 * Per-(chat, plugin) ordering with bounded parallelism. Ordering is per plugin so that one plugin's
 * retries never hold back another plugin's events in the same chat.
 */
export class LaneScheduler {
  readonly #lanes = new Map<string, LaneItem[]>();
  readonly #ready = new Set<string>();
  readonly #running = new Set<string>();
  readonly #timers = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #inFlight = new Set<Promise<void>>();
  #idleWaiters: Array<() => void> = [];
  #stopped = false;
  #pumpScheduled = false;

  constructor(
    private readonly concurrency: number,
    private readonly clock: Clock,
    private readonly run: (item: LaneItem) => Promise<RunResult>,
    /** A run that rejected (a host fault, e.g. the database): the item is tried again in 1 s. */
    private readonly onError: (error: unknown, item: LaneItem) => void,
  ) {}

  get pending(): number {
    let n = 0;
    for (const lane of this.#lanes.values()) n += lane.length;
    return n;
  }

  add(item: LaneItem): void {
    const key = laneKey(item);
    let lane = this.#lanes.get(key);
    if (!lane) {
      lane = [];
      this.#lanes.set(key, lane);
    }
    if (lane.some((queued) => queued.eventId === item.eventId)) return;
    // The head may be running: never insert in front of it.
    let index = lane.length;
    const floor = this.#running.has(key) ? 1 : 0;
    while (index > floor && before(item, lane[index - 1] as LaneItem)) index--;
    lane.splice(index, 0, item);
    this.#markReady(key);
    this.#schedulePump();
  }

  /** Removes waiting items (never a running one); returns what was removed. */
  removeWhere(predicate: (item: LaneItem) => boolean): LaneItem[] {
    const removed: LaneItem[] = [];
    for (const [key, lane] of this.#lanes) {
      const keep = lane.filter((item, index) => {
        const running = index === 0 && this.#running.has(key);
        if (!running && predicate(item)) {
          removed.push(item);
          return false;
        }
        return true;
      });
      if (keep.length === 0 && !this.#running.has(key)) this.#deleteLane(key);
      else this.#lanes.set(key, keep);
    }
    this.#notifyIfIdle();
    return removed;
  }

  /**
   * Re-checks waiting lanes now (after a clock change, or a plugin came back). Deferred items are
   * tried again at once: their plugin may be back, and if it is not, they are only deferred again.
   * Backoffs of failed attempts keep their time.
   */
  wake(): void {
    for (const lane of this.#lanes.values()) {
      const head = lane[0];
      if (head?.deferred) head.notBefore = 0;
    }
    for (const [key, timer] of this.#timers) {
      clearTimeout(timer);
      this.#timers.delete(key);
      this.#ready.add(key);
    }
    this.#pump();
  }

  /** Resolves when nothing is running or ready to run now (delayed retries may still wait). */
  idle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Stops starting new work and waits for what is running. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    await Promise.allSettled([...this.#inFlight]);
  }

  #isIdle(): boolean {
    return this.#running.size === 0 && this.#ready.size === 0;
  }

  #notifyIfIdle(): void {
    if (!this.#isIdle()) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  #markReady(key: string): void {
    if (this.#running.has(key) || this.#timers.has(key)) return;
    this.#ready.add(key);
  }

  #deleteLane(key: string): void {
    this.#lanes.delete(key);
    this.#ready.delete(key);
    const timer = this.#timers.get(key);
    if (timer) clearTimeout(timer);
    this.#timers.delete(key);
  }

  /**
   * Starting work is deferred to a microtask so that everything added in one synchronous pass (a
   * webhook batch, whose events LINE does not send in order; the recovery at start) is in its lane,
   * sorted, before the first item of a lane starts: otherwise the first one added would run first.
   */
  #schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    queueMicrotask(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  #pump(): void {
    if (this.#stopped) return;
    for (const key of this.#ready) {
      if (this.#running.size >= this.concurrency) break;
      this.#ready.delete(key);
      const head = this.#lanes.get(key)?.[0];
      if (!head) {
        this.#deleteLane(key);
        continue;
      }
      const wait = head.notBefore - this.clock.now();
      if (wait > 0) {
        this.#timers.set(
          key,
          setTimeout(() => {
            this.#timers.delete(key);
            this.#markReady(key);
            this.#pump();
          }, wait),
        );
        continue;
      }
      this.#start(key, head);
    }
    this.#notifyIfIdle();
  }

  #start(key: string, item: LaneItem): void {
    this.#running.add(key);
    const task = this.run(item)
      .catch((error): RunResult => {
        // Back off instead of spinning on a fault that will likely still be there.
        this.onError(error, item);
        return { settled: false, notBefore: this.clock.now() + 1000 };
      })
      .then((result) => {
        this.#running.delete(key);
        const lane = this.#lanes.get(key);
        if (result.settled) lane?.shift();
        else if (lane?.[0] === item) {
          item.notBefore = result.notBefore;
          item.deferred = result.deferred === true;
        }
        if (!lane || lane.length === 0) this.#deleteLane(key);
        else this.#markReady(key);
        this.#inFlight.delete(task);
        this.#pump();
      });
    this.#inFlight.add(task);
  }
}
