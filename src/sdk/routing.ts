/**
 * Who answers an event: the rules the plugin host applies when it stores the event (which plugins
 * get a delivery) and again when it delivers it (why this plugin got it, which the worker uses to
 * pick the handler). Pure: plugins' declarations and an event in, a decision out. Each rule is a
 * function in `ROUTING_RULES`, applied in order, so each kind of routing (a chat's open dialog,
 * a command) is one rule, not a branch in a long function.
 */
import { closest } from "./closest.ts";
import {
  type CommandInfo,
  type CommandText,
  findCommand,
  isExplicit,
  readCommand,
} from "./commands.ts";
import type { CompiledSubscription, MatchableEvent } from "./filter.ts";
import { postbackAddress } from "./postback-data.ts";

/** The host's own responder (`help`, "did you mean"): a name no plugin may take. */
export const HOST_RESPONDER = "hotline";
/** The route of the host's "tap to see the answer" postbacks. */
export const TAP_ROUTE = "answer";

/** A command as routing sees it. */
export interface RoutedCommand extends CommandInfo {
  /** In a group or room, the command counts only when the bot is mentioned. */
  mention: boolean;
  /**
   * It declares arguments. One that takes none counts only when its word is the whole text, or
   * when written explicitly ("/link", "@bot link"): "link to the article" in a 1:1 chat is chat.
   */
  args: boolean;
}

/** What routing needs of one loaded plugin. */
export interface RoutingPlugin {
  readonly name: string;
  /** Higher first: wins a command word two plugins declare, and alone runs its fallbacks. */
  readonly priority: number;
  /** Every query in `on`, claiming and fallback alike, with the plugin's `chats` and `standby`. */
  readonly subscription: CompiledSubscription;
  /** The queries in `on` whose handler is a fallback. */
  readonly fallbacks: ReadonlySet<string>;
  readonly commands: readonly RoutedCommand[];
  /** Its postback routes' names. */
  readonly postbacks: ReadonlySet<string>;
  /** Whether it declares dialogs (whose answers come as texts). */
  readonly dialogs: boolean;
}

/** Why a plugin gets the event: its worker runs the handlers this names, and no others. */
export type Role =
  /** The text is this command: its handler runs with the text after the command word. */
  | { as: "command"; command: string; rest: string }
  /** Postback data this plugin built for its route: the route's handler runs. */
  | { as: "postback"; route: string }
  /** The sender's text answers the dialog they have open with this plugin in the chat. */
  | { as: "dialog" }
  /** Its claiming (non-fallback) handlers subscribed to the event run. */
  | { as: "handlers" }
  /** Nothing claimed the event: its fallback handlers subscribed to it run. */
  | { as: "fallback" }
  /** The host's responder lists the commands. */
  | { as: "help" }
  /** The host's responder suggests the command nearest to a mistyped one. */
  | { as: "suggest"; word: string; suggestion: string }
  /** The host's responder answers a "tap to see the answer" with the answer it held. */
  | { as: "answer" };

export interface RoutingInput {
  readonly event: MatchableEvent;
  /** The event passed its schema (only `"*"` sees the others). */
  readonly known: boolean;
  /** The bot's user id (the webhook's `destination`), to recognise its mentions. */
  readonly botUserId: string | undefined;
  /** The loaded plugins, in `byPriority` order. */
  readonly plugins: readonly RoutingPlugin[];
  /** The plugins with which the sender has a dialog open in this chat (read from the store). */
  readonly dialogs?: ReadonlySet<string>;
}

/** Plugin name → role, in the order the plugins were chosen. */
export type Decision = Map<string, Role>;

/** One rule: adds to the decision; "stop" means no later rule applies. */
export type RoutingRule = (input: RoutingInput, decision: Decision) => "stop" | undefined;

/** Highest priority first; equal priorities by name, so the order never depends on load order. */
export function byPriority(a: RoutingPlugin, b: RoutingPlugin): number {
  return b.priority - a.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/** (a) Postback data built by a plugin's `ctx.postback` goes to that plugin alone. */
export const taggedPostback: RoutingRule = ({ event, known, plugins }, decision) => {
  if (!known || event.type !== "postback") return undefined;
  const data = (event as { postback?: { data?: unknown } }).postback?.data;
  const address = typeof data === "string" ? postbackAddress(data) : undefined;
  if (!address) return undefined;
  // The host's own: a tap to see an answer that came too late for its reply.
  if (address.plugin === HOST_RESPONDER) {
    if (address.route === TAP_ROUTE) decision.set(HOST_RESPONDER, { as: "answer" });
    return "stop";
  }
  // Nobody else can read it; a plugin without the route (unloaded, or a stale button) cannot either.
  const owner = plugins.find((plugin) => plugin.name === address.plugin);
  if (owner?.postbacks.has(address.route) && owner.subscription.admits(event))
    decision.set(owner.name, { as: "postback", route: address.route });
  return "stop";
};

/**
 * (b) A text from a sender with a dialog open in the chat answers it: the dialog's plugin gets it
 * (the highest priority's, were several open), and no command, host answer or fallback does.
 * Other plugins' claiming handlers still see the text, as they see every text.
 */
export const dialogAnswer: RoutingRule = ({ event, known, plugins, dialogs }, decision) => {
  if (!known || !dialogs?.size || event.type !== "message") return undefined;
  if ((event as { message?: { type?: unknown } }).message?.type !== "text") return undefined;
  const owner = plugins.find(
    (plugin) => plugin.dialogs && dialogs.has(plugin.name) && plugin.subscription.admits(event),
  );
  if (owner) decision.set(owner.name, { as: "dialog" });
  return undefined;
};

/** Whether `command` counts for this text in this chat. */
function counts(command: RoutedCommand, text: CommandText): boolean {
  if (text.inGroup && command.mention && !text.addressed) return false;
  return command.args || text.rest === "" || isExplicit(text);
}

/** The plugin whose command the text is (highest priority first), if any. */
function commandOwner(
  plugins: readonly RoutingPlugin[],
  event: MatchableEvent,
  text: CommandText,
): { plugin: RoutingPlugin; command: RoutedCommand } | undefined {
  for (const plugin of plugins) {
    if (!plugin.subscription.admits(event)) continue;
    const command = findCommand(plugin.commands, text.word);
    if (command && counts(command, text)) return { plugin, command };
  }
  return undefined;
}

/** How close a word must be to a command to be taken for a typo of it. */
function maxTypoDistance(word: string): number {
  return word.length <= 3 ? 1 : 2;
}

/**
 * The host's answer: `help` when no plugin declares it, and "did you mean" for a word close to a
 * command, only when the text was explicitly a command (see `isExplicit`). Only where there are
 * commands: with none, `help` is ordinary chat.
 */
function hostAnswer(
  plugins: readonly RoutingPlugin[],
  event: MatchableEvent,
  text: CommandText,
): Role | undefined {
  if (!text.addressed || event.mode === "standby") return undefined;
  const words = plugins
    .filter((plugin) => plugin.subscription.admits(event))
    .flatMap((plugin) => plugin.commands.flatMap((c) => [c.name, ...c.aliases]));
  if (words.length === 0) return undefined;
  if (text.word === "help")
    return text.rest === "" || isExplicit(text) ? { as: "help" } : undefined;
  if (!isExplicit(text) || text.word === "") return undefined;
  const suggestion = closest(text.word, [...words, "help"], maxTypoDistance(text.word));
  return suggestion ? { as: "suggest", word: text.word, suggestion } : undefined;
}

/**
 * (c) A text addressed to the bot whose first word names a command goes to the command's plugin;
 * `help` and near misses to the host's responder. A bare mention of the bot asks for help.
 */
export const command: RoutingRule = ({ event, known, botUserId, plugins }, decision) => {
  // The text answered a dialog: it is no command, whatever its first word.
  if (decision.size > 0) return undefined;
  const read = known ? readCommand(event, botUserId) : undefined;
  if (!read) return undefined;
  const text =
    read.word === "" && read.inGroup && read.addressed ? { ...read, word: "help" } : read;
  const owner = commandOwner(plugins, event, text);
  if (owner) {
    const role: Role = { as: "command", command: owner.command.name, rest: text.rest };
    decision.set(owner.plugin.name, role);
    return undefined;
  }
  const answer = hostAnswer(plugins, event, text);
  if (answer) decision.set(HOST_RESPONDER, answer);
  return undefined;
};

/** Whether one of the plugin's queries of this kind (fallback or not) selects the event. */
function subscribed(plugin: RoutingPlugin, input: RoutingInput, fallback: boolean): boolean {
  return plugin.subscription
    .match(input.event, input.known)
    .some((query) => plugin.fallbacks.has(query.query) === fallback);
}

/** (d) Plugins with a claiming handler for the event get it, as they always have. */
export const handlers: RoutingRule = (input, decision) => {
  for (const plugin of input.plugins)
    if (!decision.has(plugin.name) && subscribed(plugin, input, false))
      decision.set(plugin.name, { as: "handlers" });
  return undefined;
};

/** (e) Unclaimed, the event goes to the fallbacks subscribed to it, of the highest priority only. */
export const fallbacks: RoutingRule = (input, decision) => {
  if (decision.size > 0) return undefined;
  const candidates = input.plugins.filter((plugin) => subscribed(plugin, input, true));
  const top = candidates[0]?.priority;
  for (const plugin of candidates)
    if (plugin.priority === top) decision.set(plugin.name, { as: "fallback" });
  return undefined;
};

export const ROUTING_RULES: readonly RoutingRule[] = [
  taggedPostback,
  dialogAnswer,
  command,
  handlers,
  fallbacks,
];

/** Applies the rules in order; the plugins must be in `byPriority` order. */
export function decide(input: RoutingInput, rules = ROUTING_RULES): Decision {
  const decision: Decision = new Map();
  for (const rule of rules) if (rule(input, decision) === "stop") break;
  return decision;
}
