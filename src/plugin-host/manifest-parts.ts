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

/** A session schema: `undefined` must read as the state of a chat or user without one. */
const sessionSchema = schemaLike.refine(
  (schema) => schema.safeParse(undefined).success,
  "must accept undefined: give it a .default(…), the state of a chat or user without one",
);

export const sessionSchemasSchema = z.strictObject({
  chat: sessionSchema.optional(),
  user: sessionSchema.optional(),
});

/** A dialog's name and its steps' keys are stored with a dialog in progress: keep them short. */
const dialogWord = z
  .string()
  .max(32)
  .regex(/^[A-Za-z][A-Za-z0-9_-]*$/, "must be a word, like when or due-date");

export const dialogSpecSchema = z.object({
  steps: z
    .record(
      dialogWord,
      z.object({ ask: z.string().min(1).max(5000), answer: schemaLike.optional() }),
    )
    .refine((steps) => Object.keys(steps).length > 0, "must ask at least one question"),
  timeoutMs: z
    .number()
    .int()
    .positive()
    .max(7 * 24 * 3_600_000)
    .optional(),
  cancelWords: z.array(z.string().min(1).max(100)).max(20).optional(),
  cancelled: z.string().min(1).max(5000).optional(),
  done: fn,
});

export const dialogName = dialogWord;
