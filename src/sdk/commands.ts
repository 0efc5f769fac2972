/**
 * Text commands: what a message says to the bot, read once by the host for routing and again in
 * the plugin for its arguments. In a group or room a command counts only when the bot is
 * mentioned (unless its plugin says otherwise), and the mention is cut out before parsing.
 */
import type { z } from "zod";

/** A command as plugins declare it, reduced to what routing and `help` need. */
export interface CommandInfo {
  name: string;
  aliases: readonly string[];
  description: string | undefined;
  /** How to write it, shown by `help` and after a parse error: `remind me in <n> <unit> to <text>`. */
  usage: string | undefined;
}

/** The words of a text message, read as a command. */
export interface CommandText {
  /** The first word, lower-cased, without a leading "/". */
  word: string;
  /** Everything after it, trimmed. */
  rest: string;
  /** To the bot: always in a 1:1 chat; in a group or room, when the bot is mentioned. */
  addressed: boolean;
  /** The first word began with "/": written as a command, not as chat. */
  slash: boolean;
  /** Sent in a group or room (where only a mention addresses the bot). */
  inGroup: boolean;
}

interface Mentionee {
  type?: string;
  index: number;
  length: number;
  userId?: string;
  isSelf?: boolean;
}

/** The minimum of a text message event that commands read. */
export interface TextEventLike {
  type: string;
  source?: { type?: unknown } | undefined;
  message?: { type?: unknown; text?: unknown; mention?: { mentionees?: Mentionee[] } } | unknown;
}

/**
 * Whether a mentionee is this bot: LINE marks it `isSelf`; where that is missing, the bot's user id
 * (the webhook's `destination`) still tells. Two absent ids are not a match.
 */
function isBot(mentionee: Mentionee, botUserId: string | undefined): boolean {
  if (mentionee.isSelf === true) return true;
  return botUserId !== undefined && mentionee.userId === botUserId;
}

/**
 * Cuts mentions out of a text. Their `index` and `length` count UTF-16 code units, the same units
 * as JavaScript string positions, so `slice` is right even with emoji before a mention.
 */
function withoutMentions(text: string, mentions: readonly Mentionee[]): string {
  let rest = text;
  for (const { index, length } of [...mentions].sort((a, b) => b.index - a.index))
    rest = rest.slice(0, index) + rest.slice(index + length);
  return rest.trim();
}

/**
 * Reads a text message as a command; undefined for anything else. The bot's mentions and "@All"
 * only say who is addressed and are cut out; mentions of other users stay (they are arguments).
 */
export function readCommand(
  event: TextEventLike,
  botUserId: string | undefined,
): CommandText | undefined {
  if (event.type !== "message") return undefined;
  const message = event.message as {
    type?: unknown;
    text?: unknown;
    mention?: { mentionees?: Mentionee[] };
  };
  if (message?.type !== "text" || typeof message.text !== "string") return undefined;
  const mentionees = message.mention?.mentionees ?? [];
  const inGroup = event.source?.type === "group" || event.source?.type === "room";
  const addressing = mentionees.filter((m) => m.type === "all" || isBot(m, botUserId));
  const addressed = !inGroup || mentionees.some((m) => isBot(m, botUserId));
  const text = withoutMentions(message.text, addressing);
  const first = text.split(/\s+/, 1)[0] ?? "";
  const word = first.replace(/^\//, "").toLowerCase();
  const slash = first.startsWith("/");
  return { word, rest: text.slice(first.length).trim(), addressed, slash, inGroup };
}

/**
 * Whether the text was plainly meant for the bot as a command: written with "/", or mentioning
 * the bot in a group or room. Ordinary chat in a 1:1 chat is addressed but not explicit, so it
 * is never taken for a mistyped command.
 */
export function isExplicit(text: CommandText): boolean {
  return text.slash || (text.inGroup && text.addressed);
}

/** The command a word names, by name or alias (case is ignored). */
export function findCommand<C extends CommandInfo>(
  commands: readonly C[],
  word: string,
): C | undefined {
  return commands.find(
    (command) =>
      command.name.toLowerCase() === word ||
      command.aliases.some((alias) => alias.toLowerCase() === word),
  );
}

/** Why a command's arguments did not parse: shown to the user, with the usage. */
export class CommandArgumentsError extends Error {
  override name = "CommandArgumentsError";
}

/**
 * Parses a command's arguments with its schema: a schema over a string gets the rest of the text;
 * a tuple gets its words (the last item takes what is left over when it is a string).
 */
export function parseArguments<S extends z.ZodType>(schema: S, rest: string): z.output<S> {
  const def = (schema as unknown as { def?: { type?: string; items?: unknown[] } }).def;
  let input: unknown = rest;
  if (def?.type === "tuple") {
    const count = def.items?.length ?? 0;
    const words = rest === "" ? [] : rest.split(/\s+/);
    input =
      words.length > count && count > 0
        ? [...words.slice(0, count - 1), words.slice(count - 1).join(" ")]
        : words;
  }
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new CommandArgumentsError(issue?.message ?? "invalid arguments");
}

/** The help text: one line per command, with its usage and description. */
export function helpText(commands: readonly CommandInfo[]): string {
  if (commands.length === 0) return "There are no commands.";
  const lines = commands.map((command) => {
    const usage = command.usage ?? command.name;
    return command.description ? `${usage} — ${command.description}` : usage;
  });
  return ["Commands:", ...lines, "help — this list"].join("\n");
}
