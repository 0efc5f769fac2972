/** What every builder shares: LINE's rules, checked as the object is built. */

import { assertValid, type LineSchema } from "../../line/validate.ts";

/** The rest of an object's properties, once a builder has taken `type` and its arguments. */
export type Options<T, Taken extends PropertyKey = never> = Omit<T, "type" | Taken>;

/**
 * Returns `value` once it passes LINE's rules for `schema`; throws an InvalidMessageError naming
 * what breaks them. A bot finds out where it builds the message, not when LINE refuses it.
 */
export function built<T>(schema: LineSchema, value: T): T {
  return assertValid(schema, value);
}

/** Leaves out properties given as undefined, so an optional argument adds nothing. */
export function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
