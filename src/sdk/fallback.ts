/**
 * Fallback handlers: a handler wrapped in `fallback()` runs only when no command, postback route
 * or ordinary handler of any plugin took the event, and only for the plugins of the highest
 * priority among those with a fallback for it (echo's echo, a "Sorry, I don't know that" reply).
 */

/**
 * A registered symbol, not a module-private one: a plugin may import the SDK through a path of its
 * own (a plugins directory outside the project), and the worker must still recognise the mark.
 */
const FALLBACK = Symbol.for("hotline.fallback");

/** Marks a handler as a fallback; the handler itself is unchanged. */
export function fallback<E, Ctx>(
  handler: (event: E, ctx: Ctx) => unknown,
): (event: E, ctx: Ctx) => unknown {
  // A new function, so that marking never changes a handler also used elsewhere as a claiming one.
  const marked = (event: E, ctx: Ctx) => handler(event, ctx);
  Object.defineProperty(marked, FALLBACK, { value: true });
  return marked;
}

export function isFallback(handler: unknown): boolean {
  return typeof handler === "function" && (handler as { [FALLBACK]?: unknown })[FALLBACK] === true;
}
