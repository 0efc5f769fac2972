/**
 * The host's own answers, under the reserved name `hotline`: `help`, listing the commands of every
 * loaded plugin, and "did you mean" for a mistyped one. It needs no worker: it answers through the
 * job's reply, so its message joins the event's merged reply like any plugin's.
 */
import type { DeliveryJob, DeliveryOutcome } from "../dispatch/types.ts";
import { helpText } from "../sdk/commands.ts";
import type { MatchableEvent } from "../sdk/filter.ts";
import { message } from "../sdk/messages.ts";
import type { Role, RoutedCommand, RoutingPlugin } from "../sdk/routing.ts";

/**
 * The commands usable in the event's chat, highest priority first, each with its plugin: what
 * `help` lists (and the simulator's header shows, so that the two never disagree).
 */
export function commandsFor(
  plugins: readonly RoutingPlugin[],
  event: MatchableEvent,
): Array<RoutedCommand & { plugin: string }> {
  return plugins
    .filter((plugin) => plugin.subscription.admits(event))
    .flatMap((plugin) => plugin.commands.map((command) => ({ ...command, plugin: plugin.name })));
}

function answerText(role: Role, plugins: readonly RoutingPlugin[], event: MatchableEvent) {
  if (role.as === "help") return helpText(commandsFor(plugins, event));
  if (role.as === "suggest")
    return `"${role.word}" is not a command. Did you mean "${role.suggestion}"? Send "help" for the list.`;
  return undefined;
}

export async function answerAsHost(
  job: DeliveryJob,
  role: Role,
  plugins: readonly RoutingPlugin[],
): Promise<DeliveryOutcome> {
  const event = job.parsed.event as MatchableEvent & { message?: { quoteToken?: unknown } };
  const text = answerText(role, plugins, event);
  if (text === undefined)
    return { status: "gone", reason: `the host does not answer as ${role.as}` };
  // In a group the answer quotes the message, so everyone sees whom the bot answers.
  const quoteToken = job.chat?.type === "user" ? undefined : event.message?.quoteToken;
  const reply = message.text(text, typeof quoteToken === "string" ? { quoteToken } : {});
  try {
    await job.reply([reply]);
    return { status: "ok" };
  } catch (error) {
    return { status: "failed", error: error instanceof Error ? error.message : String(error) };
  }
}
