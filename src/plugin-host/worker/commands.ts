/**
 * A plugin's commands inside its worker: declared in `commands` or added in `setup` with
 * `ctx.command`, run when the host routes a command to the plugin. A parse error is answered here,
 * once, by the plugin that owns the command, with the reason and the usage.
 */
import type { z } from "zod";
import { CommandArgumentsError, parseArguments } from "../../sdk/commands.ts";
import type { EventContext } from "../../sdk/context.ts";
import { message } from "../../sdk/messages.ts";
import type { RoutedCommand } from "../../sdk/routing.ts";
import type { PluginManifest } from "../manifest.ts";
import { commandSpecSchema, commandWord } from "../manifest-parts.ts";

type Handle = (args: unknown, event: unknown, ctx: unknown) => unknown;

export interface PluginCommand extends RoutedCommand {
  schema: z.ZodType | undefined;
  handle: Handle;
}

/** Makes a command from its declaration; `mention` is the plugin's default. */
export function pluginCommand(name: string, spec: unknown, mention: boolean): PluginCommand {
  const checked = commandSpecSchema.parse(spec);
  commandWord.parse(name);
  return {
    name,
    aliases: checked.aliases ?? [],
    description: checked.description,
    usage: checked.usage,
    mention: checked.mention ?? mention,
    args: checked.args !== undefined,
    schema: checked.args,
    handle: checked.handle as Handle,
  };
}

/** Adds a command, refusing a word another of the plugin's commands already has. */
export function addCommand(commands: PluginCommand[], command: PluginCommand): void {
  const words = (c: RoutedCommand) => [c.name, ...c.aliases].map((w) => w.toLowerCase());
  const taken = new Set(commands.flatMap(words));
  const clash = words(command).find((word) => taken.has(word));
  if (clash !== undefined)
    throw new Error(`command "${clash}" is declared twice (case is ignored)`);
  commands.push(command);
}

/** What the routing manifest keeps of a command. */
export function routedCommand(command: PluginCommand): PluginManifest["commands"][number] {
  const { name, aliases, description, usage, mention, args } = command;
  return { name, aliases: [...aliases], description, usage, mention, args };
}

function parse(command: PluginCommand, rest: string): unknown {
  if (command.schema) return parseArguments(command.schema, rest);
  if (rest !== "") throw new CommandArgumentsError(`"${command.name}" takes no arguments`);
  return undefined;
}

type TextEvent = { source?: { type?: unknown }; message?: { quoteToken?: unknown } };

/** Parses the arguments and runs the command, or answers why they do not parse. */
export async function runCommand(
  command: PluginCommand,
  rest: string,
  received: unknown,
  ctx: EventContext<unknown>,
): Promise<void> {
  const event = received as TextEvent;
  let args: unknown;
  try {
    args = parse(command, rest);
  } catch (error) {
    if (!(error instanceof CommandArgumentsError)) throw error;
    const usage = `Usage: ${command.usage ?? command.name}`;
    const quoteToken = event.source?.type === "user" ? undefined : event.message?.quoteToken;
    const options = typeof quoteToken === "string" ? { quoteToken } : {};
    await ctx.reply(message.text(`${error.message}\n${usage}`, options));
    return;
  }
  await command.handle(args, event, ctx);
}
