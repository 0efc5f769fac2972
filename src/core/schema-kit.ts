/**
 * Building blocks of the event schemas (internal to core/).
 */
import { z } from "zod";

/**
 * A string enumeration LINE may extend: documented values autocomplete, any other string still
 * parses (a new sticker resource type must not turn a sticker into an unknown event).
 */
export function open<T extends string>() {
  return z.string() as z.ZodType<T | (string & {})>;
}

export const str = z.string();
export const optStr = z.string().optional();

/**
 * The schemas are loose (unknown fields are kept at run time), but the types handlers see list only
 * the documented fields: a misspelt property is a compile error, not a silent `unknown`.
 */
export type Typed<T> = T extends string | number | boolean | bigint | symbol | null | undefined
  ? T
  : T extends readonly (infer U)[]
    ? Typed<U>[]
    : T extends object
      ? { [K in keyof T as string extends K ? never : number extends K ? never : K]: Typed<T[K]> }
      : T;
