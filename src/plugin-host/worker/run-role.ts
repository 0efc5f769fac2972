/**
 * Runs one delivery inside the worker by the role the host gave it: a command's handler, a postback
 * route's handler, the plugin's claiming handlers, or its fallbacks; never more than that one kind.
 */
import type { EventContext } from "../../sdk/context.ts";
import { isFallback } from "../../sdk/fallback.ts";
import type { CompiledSubscription, MatchableEvent } from "../../sdk/filter.ts";
import type { Role } from "../../sdk/routing.ts";
import { runCommand } from "./commands.ts";
import type { WorkerServices } from "./context.ts";
import { continueDialog, type DialogRun } from "./dialogs.ts";
import { runPostback } from "./postbacks.ts";
import type { RunSessions } from "./sessions.ts";

export interface RunnablePlugin {
  on: Record<string, unknown>;
  subscription: CompiledSubscription;
  services: WorkerServices;
}

type Handler = (event: unknown, ctx: unknown) => unknown;

/** The handlers subscribed to the event, in declaration order: the claiming ones or the fallbacks. */
async function runHandlers(
  plugin: RunnablePlugin,
  event: MatchableEvent,
  known: boolean,
  ctx: EventContext<unknown>,
  fallbacks: boolean,
): Promise<void> {
  for (const query of plugin.subscription.match(event, known)) {
    const handler = plugin.on[query.query];
    if (isFallback(handler) === fallbacks) await (handler as Handler)(event, ctx);
  }
}

export async function runRole(
  plugin: RunnablePlugin,
  role: Role,
  event: MatchableEvent,
  known: boolean,
  ctx: EventContext<unknown>,
  sessions: RunSessions,
): Promise<void> {
  if (role.as === "dialog") {
    const text = (event as { message?: { text?: unknown } }).message?.text;
    const { dialogs, now } = plugin.services;
    const run: DialogRun = { dialogs, now, sessions, event, ctx };
    return continueDialog(run, typeof text === "string" ? text : "");
  }
  switch (role.as) {
    case "command": {
      const { commands } = plugin.services.registrations;
      const command = commands.find((candidate) => candidate.name === role.command);
      if (!command) throw new Error(`the plugin has no command "${role.command}"`);
      return runCommand(command, role.rest, event, ctx);
    }
    case "postback":
      return runPostback(plugin.services.postbacks, role.route, event, ctx);
    case "handlers":
    case "fallback":
      return runHandlers(plugin, event, known, ctx, role.as === "fallback");
    default:
      throw new Error(`the host routed the event to the plugin as "${role.as}"`);
  }
}
