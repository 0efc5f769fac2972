/**
 * The open deliveries of a one-process store, in memory: a lane per (chat, plugin), each in
 * timestamp order, its head held while it runs. The database stays the truth (a restart rebuilds
 * this from it); this only answers "what can run now" without a query per claim.
 */

export interface LaneEntry {
  eventId: string;
  plugin: string;
  chatKey: string;
  timestamp: number;
  seq: number;
  attempts: number;
  /** Not to run before this time (retry backoff, deferral). */
  notBefore: number;
  /** It did not run because its plugin could not take it: `undefer` makes it due at once. */
  deferred: boolean;
}

const laneKey = (entry: Pick<LaneEntry, "chatKey" | "plugin">) =>
  `${entry.chatKey}\u0000${entry.plugin}`;
const before = (a: LaneEntry, b: LaneEntry) =>
  a.timestamp < b.timestamp || (a.timestamp === b.timestamp && a.seq < b.seq);

export class LaneIndex {
  readonly #lanes = new Map<string, LaneEntry[]>();
  /** Lanes whose head is running. */
  readonly #held = new Set<string>();
  /** Lanes whose head is not held (it may be waiting for its time), in the order they became so. */
  readonly #free = new Set<string>();

  get size(): number {
    let n = 0;
    for (const lane of this.#lanes.values()) n += lane.length;
    return n;
  }

  /** Adds an open delivery in its place; one already in its lane is not added twice. */
  add(entry: LaneEntry): void {
    const key = laneKey(entry);
    let lane = this.#lanes.get(key);
    if (!lane) {
      lane = [];
      this.#lanes.set(key, lane);
    }
    if (lane.some((queued) => queued.eventId === entry.eventId)) return;
    // A held head is running: never insert in front of it.
    const floor = this.#held.has(key) ? 1 : 0;
    let index = lane.length;
    while (index > floor && before(entry, lane[index - 1] as LaneEntry)) index--;
    lane.splice(index, 0, entry);
    if (!this.#held.has(key)) this.#free.add(key);
  }

  /**
   * Holds and returns due heads of lanes for these plugins, whole events at a time (the other
   * due heads of an event come with it), until `limit` is reached or passed by the last event.
   */
  claim(limit: number, plugins: ReadonlySet<string>, now: number): LaneEntry[][] {
    const events: LaneEntry[][] = [];
    let count = 0;
    for (const key of this.#free) {
      if (count >= limit) break;
      const head = this.#lanes.get(key)?.[0];
      if (!head || !plugins.has(head.plugin) || head.notBefore > now) continue;
      const group = [head, ...this.#siblings(head, plugins, now)];
      for (const entry of group) this.#hold(laneKey(entry));
      events.push(group);
      count += group.length;
    }
    return events;
  }

  /** The running head is settled: the lane moves on. */
  advance(entry: Pick<LaneEntry, "chatKey" | "plugin" | "eventId">): void {
    const key = laneKey(entry);
    const lane = this.#lanes.get(key);
    if (lane?.[0]?.eventId === entry.eventId) lane.shift();
    this.#release(key);
  }

  /**
   * The running head will run again later and keeps its place: after a failed attempt (counted),
   * or deferred without running.
   */
  postpone(
    entry: Pick<LaneEntry, "chatKey" | "plugin" | "eventId">,
    change: { notBefore: number; deferred: boolean },
  ): void {
    const key = laneKey(entry);
    const head = this.#lanes.get(key)?.[0];
    if (head?.eventId === entry.eventId) {
      head.notBefore = change.notBefore;
      head.deferred = change.deferred;
      if (!change.deferred) head.attempts++;
    }
    this.#release(key);
  }

  /** Deferred heads of the plugin are due now. */
  undefer(plugin: string): void {
    for (const lane of this.#lanes.values()) {
      const head = lane[0];
      if (head?.plugin === plugin && head.deferred) head.notBefore = 0;
    }
  }

  /** Removes the plugin's waiting deliveries (never a running one). */
  removePlugin(plugin: string): void {
    for (const [key, lane] of this.#lanes) {
      const held = this.#held.has(key);
      const keep = lane.filter((entry, index) => entry.plugin !== plugin || (held && index === 0));
      if (keep.length === lane.length) continue;
      if (keep.length === 0) this.#drop(key);
      else this.#lanes.set(key, keep);
    }
  }

  /** When the earliest head that is waiting for its time becomes due. */
  nextDueAt(plugins: ReadonlySet<string>, now: number): number | undefined {
    let next: number | undefined;
    for (const key of this.#free) {
      const head = this.#lanes.get(key)?.[0];
      if (!head || !plugins.has(head.plugin) || head.notBefore <= now) continue;
      if (next === undefined || head.notBefore < next) next = head.notBefore;
    }
    return next;
  }

  /** Due heads of the same event in other lanes (the event's other plugins). */
  #siblings(head: LaneEntry, plugins: ReadonlySet<string>, now: number): LaneEntry[] {
    const found: LaneEntry[] = [];
    for (const plugin of plugins) {
      if (plugin === head.plugin) continue;
      const key = laneKey({ chatKey: head.chatKey, plugin });
      if (!this.#free.has(key)) continue;
      const other = this.#lanes.get(key)?.[0];
      if (other?.eventId === head.eventId && other.notBefore <= now) found.push(other);
    }
    return found;
  }

  #hold(key: string): void {
    this.#held.add(key);
    this.#free.delete(key);
  }

  #release(key: string): void {
    this.#held.delete(key);
    if ((this.#lanes.get(key)?.length ?? 0) === 0) this.#drop(key);
    else this.#free.add(key);
  }

  #drop(key: string): void {
    this.#lanes.delete(key);
    this.#free.delete(key);
  }
}
