/**
 * The worker's timers, wrapped once before the plugin loads, for two reasons. Bun (1.4) terminates
 * a worker on any uncaught error, even when the error event is cancelled (oven-sh/bun#29043), so
 * one throwing timer would take the whole plugin version down with its in-flight deliveries:
 * callbacks run behind a catch that reports, and a promise they return is watched too
 * (`setInterval(async () => …)` is the common case). And the host parks an idle worker only when
 * no timer of its own is still due (a setup's `setInterval` would silently stop), so the pending
 * ones are counted.
 */

type Callback = (...args: unknown[]) => unknown;
type Scheduler = (callback: unknown, ...rest: unknown[]) => unknown;
type Clearer = (id: unknown) => void;

function guarded(callback: unknown, onError: (error: unknown) => void): unknown {
  if (typeof callback !== "function") return callback;
  return function (this: unknown, ...args: unknown[]) {
    try {
      const result: unknown = (callback as Callback).apply(this, args);
      if (typeof (result as PromiseLike<unknown> | null)?.then === "function")
        (result as PromiseLike<unknown>).then(undefined, onError);
      return result;
    } catch (error) {
      onError(error);
    }
  };
}

/** Wraps the global timers; returns how many timeouts and intervals are still pending. */
export function wrapTimers(onError: (error: unknown) => void): () => number {
  const pending = new Set<unknown>();
  const g = globalThis as unknown as Record<string, Scheduler | Clearer | undefined>;
  const original = (name: string) => (g[name] as Scheduler | undefined)?.bind(globalThis);
  const setTimeoutOf = original("setTimeout");
  const setIntervalOf = original("setInterval");
  const clearOf = (name: string) => (g[name] as Clearer | undefined)?.bind(globalThis);
  const clearTimeoutOf = clearOf("clearTimeout");
  const clearIntervalOf = clearOf("clearInterval");

  if (setTimeoutOf)
    g.setTimeout = (callback: unknown, ...rest: unknown[]) => {
      if (typeof callback !== "function") return setTimeoutOf(callback, ...rest);
      const run = guarded(callback, onError) as Callback;
      const id = setTimeoutOf(
        function (this: unknown, ...args: unknown[]) {
          pending.delete(id);
          return run.apply(this, args);
        },
        ...rest,
      );
      pending.add(id);
      return id;
    };
  if (setIntervalOf)
    g.setInterval = (callback: unknown, ...rest: unknown[]) => {
      const id = setIntervalOf(guarded(callback, onError), ...rest);
      pending.add(id);
      return id;
    };
  // Either clears either kind (as in browsers, Node, Bun and Deno).
  const clear = (original: Clearer | undefined) => (id: unknown) => {
    pending.delete(id);
    original?.(id);
  };
  if (clearTimeoutOf) g.clearTimeout = clear(clearTimeoutOf);
  if (clearIntervalOf) g.clearInterval = clear(clearIntervalOf);
  for (const name of ["setImmediate", "queueMicrotask"]) {
    const schedule = original(name);
    if (schedule)
      g[name] = (callback: unknown, ...rest: unknown[]) =>
        schedule(guarded(callback, onError), ...rest);
  }
  return () => pending.size;
}
