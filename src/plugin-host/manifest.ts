import type { Table } from "drizzle-orm";
import { z } from "zod";
import { CHAT_TYPES } from "../core/events.ts";
import { compileSubscription, FilterError } from "../sdk/filter.ts";
import { isTable } from "../storage/plugin-ddl.ts";

const fn = z.custom<(...args: never[]) => unknown>(
  (value) => typeof value === "function",
  "must be a function",
);
const schemaLike = z.custom<z.ZodType>(
  (value) => typeof (value as { safeParse?: unknown } | null)?.safeParse === "function",
  "must be a zod schema",
);

const table = z.custom<Table>(isTable, 'must be a table made with table() from "hotline/db"');
const migrationSql = z.union([
  z.string().min(1),
  z.strictObject({ sqlite: z.string().min(1).optional(), postgres: z.string().min(1).optional() }),
]);

export const PLUGIN_NAME = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

const pluginName = z.string().max(64).regex(PLUGIN_NAME, "must be kebab-case, like my-plugin");
const timeoutMs = z
  .number()
  .int()
  .positive()
  .max(15 * 60_000);

/** What compiling the subscription finds wrong, as an issue at `path`. */
function subscriptionIssues(
  queries: string[],
  chats: ReadonlyArray<(typeof CHAT_TYPES)[number]> | undefined,
  ctx: z.RefinementCtx,
  path: string[] = ["queries"],
): void {
  try {
    compileSubscription({ queries, chats });
  } catch (error) {
    if (!(error instanceof FilterError)) throw error;
    ctx.addIssue({ code: "custom", path, message: error.message });
  }
}

/** The shape of a plugin module's default export, checked when the module loads. */
export const pluginDefinitionSchema = z
  .object({
    name: pluginName,
    description: z.string().optional(),
    chats: z.array(z.enum(CHAT_TYPES)).optional(),
    standby: z.boolean().optional(),
    timeoutMs: timeoutMs.optional(),
    settings: schemaLike.optional(),
    tables: z.record(z.string(), table).optional(),
    migrations: z.array(z.object({ id: z.string().min(1), sql: migrationSql })).optional(),
    tableRenames: z.record(z.string(), z.string()).optional(),
    on: z.record(z.string(), fn),
    setup: fn.optional(),
    teardown: fn.optional(),
  })
  .superRefine((definition, ctx) =>
    subscriptionIssues(Object.keys(definition.on), definition.chats, ctx, ["on"]),
  );

export type ValidDefinition = z.infer<typeof pluginDefinitionSchema>;

/**
 * What the host keeps of a loaded plugin: plain data, so it crosses the worker boundary. The
 * worker sends it, so the host checks it as the declaration it was made from was checked.
 */
export const pluginManifestSchema = z
  .strictObject({
    name: pluginName,
    description: z.string().optional(),
    queries: z.array(z.string()),
    chats: z.array(z.enum(CHAT_TYPES)).optional(),
    standby: z.boolean(),
    timeoutMs: timeoutMs.optional(),
    routes: z.array(z.strictObject({ method: z.string(), path: z.string().startsWith("/") })),
  })
  .superRefine((manifest, ctx) => subscriptionIssues(manifest.queries, manifest.chats, ctx));

export type PluginManifest = z.infer<typeof pluginManifestSchema>;

/** One line naming the field, for logs and the plugin's status. */
export function describeIssues(error: z.ZodError, prefix = ""): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.map(String).join(".");
      return `${prefix}${path ? `${path}: ` : ""}${issue.message}`;
    })
    .join("; ");
}
