/** Time as the host sees it; tests swap in a controllable clock for cooldowns and expiries. */
export interface Clock {
  now(): number;
  /** True when time moves only when told (tests): plugin workers then read it exactly. */
  readonly frozen?: boolean;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to. */
export class ManualClock implements Clock {
  readonly frozen = true;
  #now: number;
  constructor(start = Date.UTC(2026, 0, 1)) {
    this.#now = start;
  }
  now(): number {
    return this.#now;
  }
  set(ms: number): void {
    this.#now = ms;
  }
  advance(ms: number): number {
    this.#now += ms;
    return this.#now;
  }
}
