/** The types of plugins' sessions, as plugins declare them and handlers see them. */
import type { z } from "zod";

/**
 * A plugin's session schemas: the chat's state and the sender's. Each must accept `undefined`
 * (give it a `.default(…)`): that is what a chat or user without a session starts from.
 */
export interface SessionSchemas {
  chat?: z.ZodType;
  user?: z.ZodType;
}

/**
 * `ctx.session`: the state of each declared scope, read before the handler runs and saved with
 * the delivery's settlement when it changed; a failed run saves nothing. Assign a scope to
 * replace its state. `never` (not inferred yet, see `SettingsOf`) is untyped.
 */
export type Sessions<X> = [X] extends [never]
  ? { chat: unknown; user: unknown }
  : {
      -readonly [K in keyof X & ("chat" | "user")]: NonNullable<X[K]> extends z.ZodType
        ? z.output<NonNullable<X[K]>>
        : never;
    };
