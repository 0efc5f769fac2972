/** Schemas of the parts of a plugin declaration: functions, zod schemas, commands, routes. */
import { z } from "zod";

export const fn = z.custom<(...args: never[]) => unknown>(
  (value) => typeof value === "function",
  "must be a function",
);
export const schemaLike = z.custom<z.ZodType>(
  (value) => typeof (value as { safeParse?: unknown } | null)?.safeParse === "function",
  "must be a zod schema",
);

export const MAX_COMMANDS = 200;

/** One word, as the first word of a message: no spaces, not starting with "/". */
export const commandWord = z
  .string()
  .regex(/^[^\s/]\S{0,31}$/u, 'must be one word of at most 32 characters, without a leading "/"');

/** A postback route's name travels in the data: kebab-case, and short. */
export const postbackRouteName = z
  .string()
  .max(32)
  .regex(/^[a-z][a-z0-9-]*$/, "must be kebab-case, like mark-done");

export const commandSpecSchema = z.object({
  description: z.string().min(1).max(200),
  usage: z.string().min(1).max(200).optional(),
  aliases: z.array(commandWord).max(10).optional(),
  args: schemaLike.optional(),
  mention: z.boolean().optional(),
  handle: fn,
});

export const postbackSpecSchema = z.object({ data: schemaLike, handle: fn });

/** A word may name one command of a plugin, by name or alias, case ignored. */
export function commandIssues(
  commands: ReadonlyArray<{ name: string; aliases: readonly string[] }>,
  ctx: z.RefinementCtx,
  path: string[],
): void {
  const seen = new Map<string, string>();
  for (const { name, aliases } of commands) {
    for (const word of [name, ...aliases]) {
      const folded = word.toLowerCase();
      const owner = seen.get(folded);
      if (owner !== undefined)
        ctx.addIssue({
          code: "custom",
          path: [...path, name],
          message: `"${word}" already names the command "${owner}" (case is ignored)`,
        });
      else seen.set(folded, name);
    }
  }
}
