import type { Table } from "drizzle-orm";
import { z } from "zod";
import { CHAT_TYPES } from "../core/events.ts";
import { richMenusSchema } from "../rich-menus/declared.ts";
import { jobDeclarationSchema, jobName } from "../schedules/requests.ts";
import { compileSubscription, FilterError } from "../sdk/filter.ts";
import { HOST_RESPONDER } from "../sdk/routing.ts";
import { isTable } from "../storage/plugin-ddl.ts";
import {
  commandIssues,
  commandSpecSchema,
  commandWord,
  dialogName,
  dialogSpecSchema,
  fn,
  MAX_COMMANDS,
  postbackRouteName,
  postbackSpecSchema,
  schemaLike,
  sessionSchemasSchema,
} from "./manifest-parts.ts";

const table = z.custom<Table>(isTable, 'must be a table made with table() from "hotline/db"');
const migrationSql = z.union([
  z.string().min(1),
  z.strictObject({ sqlite: z.string().min(1).optional(), postgres: z.string().min(1).optional() }),
]);

export const PLUGIN_NAME = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

const pluginName = z
  .string()
  .max(64)
  .regex(PLUGIN_NAME, "must be kebab-case, like my-plugin")
  .refine((name) => name !== HOST_RESPONDER, `"${HOST_RESPONDER}" is the host's own name`);
/** Who answers first (see `PluginDefinition.priority`). */
const priority = z.number().int().min(-1000).max(1000);
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
    priority: priority.optional(),
    mention: z.boolean().optional(),
    commands: z.record(commandWord, commandSpecSchema).optional(),
    postbacks: z.record(postbackRouteName, postbackSpecSchema).optional(),
    session: sessionSchemasSchema.optional(),
    dialogs: z.record(dialogName, dialogSpecSchema).optional(),
    chats: z.array(z.enum(CHAT_TYPES)).optional(),
    standby: z.boolean().optional(),
    timeoutMs: timeoutMs.optional(),
    settings: schemaLike.optional(),
    tables: z.record(z.string(), table).optional(),
    migrations: z.array(z.object({ id: z.string().min(1), sql: migrationSql })).optional(),
    tableRenames: z.record(z.string(), z.string()).optional(),
    jobs: z.record(jobName, z.looseObject({ handler: fn })).optional(),
    richMenus: richMenusSchema.optional(),
    on: z.record(z.string(), fn).default({}),
    setup: fn.optional(),
    teardown: fn.optional(),
  })
  .superRefine((definition, ctx) => {
    subscriptionIssues(Object.keys(definition.on), definition.chats, ctx, ["on"]);
    const commands = Object.entries(definition.commands ?? {}).map(([name, spec]) => ({
      name,
      aliases: spec.aliases ?? [],
    }));
    commandIssues(commands, ctx, ["commands"]);
    jobIssues(definition.jobs ?? {}, ctx);
    const takes = [
      definition.on,
      definition.commands ?? {},
      definition.postbacks ?? {},
      definition.jobs ?? {},
    ];
    // A setup may still add commands (`ctx.command`); the manifest checks what it ends with.
    if (takes.every((part) => Object.keys(part).length === 0) && !definition.setup)
      ctx.addIssue({ code: "custom", path: ["on"], message: NOTHING_TAKEN });
  });

const NOTHING_TAKEN =
  "a plugin must subscribe to at least one event (or declare a command, a postback route or a job)";

/** A job's timing, checked as the manifest will be: the handler aside. */
function jobIssues(jobs: Record<string, { handler: unknown }>, ctx: z.RefinementCtx): void {
  for (const [name, { handler: _, ...timing }] of Object.entries(jobs)) {
    const checked = jobDeclarationSchema.safeParse({ name, ...timing });
    for (const issue of checked.success ? [] : checked.error.issues)
      ctx.addIssue({ code: "custom", path: ["jobs", name, ...issue.path], message: issue.message });
  }
}

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
    priority,
    commands: z
      .array(
        z.strictObject({
          name: commandWord,
          aliases: z.array(commandWord).max(10),
          description: z.string().max(200).optional(),
          usage: z.string().max(200).optional(),
          mention: z.boolean(),
          args: z.boolean(),
        }),
      )
      .max(MAX_COMMANDS),
    postbacks: z.array(postbackRouteName).max(MAX_COMMANDS),
    /** The session scopes the plugin keeps: the host reads them before each delivery. */
    sessions: z.array(z.enum(["chat", "user"])),
    /** Its dialogs: while one is open, the sender's texts in the chat go to it. */
    dialogs: z.array(dialogName).max(MAX_COMMANDS),
    /** The queries whose handler is a fallback. */
    fallbacks: z.array(z.string()),
    /** Its jobs, with the timing of the recurring ones. */
    jobs: z.array(jobDeclarationSchema).max(MAX_COMMANDS).default([]),
  })
  .superRefine((manifest, ctx) => {
    subscriptionIssues(manifest.queries, manifest.chats, ctx);
    commandIssues(manifest.commands, ctx, ["commands"]);
    for (const query of manifest.fallbacks)
      if (!manifest.queries.includes(query))
        ctx.addIssue({
          code: "custom",
          path: ["fallbacks"],
          message: `"${query}" is not in queries`,
        });
    const takes =
      manifest.queries.length +
      manifest.commands.length +
      manifest.postbacks.length +
      manifest.jobs.length;
    if (takes === 0) ctx.addIssue({ code: "custom", path: ["queries"], message: NOTHING_TAKEN });
  });

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
