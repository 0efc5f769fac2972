/**
 * The plugin's dialogs inside its worker: `ctx.dialog` starts one, and a text the host routed to
 * the open dialog answers it (see sdk/dialog.ts for the turns). The state goes back to the host as
 * the sender's "dialog" session, saved with the delivery's settlement like any session.
 */
import type { EventContext } from "../../sdk/context.ts";
import {
  answerDialog,
  DIALOG_DEFAULTS,
  type DialogSpec,
  type DialogSteps,
  type DialogTurn,
  dialogStateSchema,
  startDialog,
} from "../../sdk/dialog.ts";
import type { RunSessions } from "./sessions.ts";

export type PluginDialog = DialogSpec<DialogSteps, unknown, unknown>;

export interface DialogRun {
  dialogs: ReadonlyMap<string, PluginDialog>;
  sessions: RunSessions;
  event: unknown;
  ctx: EventContext<unknown>;
  now(): number;
}

export async function openDialog(
  run: DialogRun,
  name: string,
  given: Record<string, unknown> = {},
): Promise<void> {
  const spec = run.dialogs.get(name);
  if (!spec) throw new TypeError(`the plugin declares no dialog "${name}"`);
  if (!run.sessions.canHoldDialog())
    throw new TypeError("a dialog needs a sender in a chat, which this event has not");
  await take(run, spec, startDialog(name, spec.steps, given));
}

/** The sender's text answers the dialog they have open with the plugin. */
export async function continueDialog(run: DialogRun, text: string): Promise<void> {
  const stored = run.sessions.dialog();
  if (stored === null) return;
  const state = dialogStateSchema.safeParse(JSON.parse(stored));
  const spec = state.success ? run.dialogs.get(state.data.dialog) : undefined;
  if (!state.success) {
    run.sessions.setDialog(null, null);
    return run.ctx.reply(DIALOG_DEFAULTS.changed);
  }
  await take(run, spec, answerDialog(spec?.steps, spec ?? {}, state.data, text));
}

async function take(run: DialogRun, spec: PluginDialog | undefined, turn: DialogTurn) {
  const { ctx, sessions } = run;
  switch (turn.kind) {
    case "ask": {
      const timeoutMs = spec?.timeoutMs ?? DIALOG_DEFAULTS.timeoutMs;
      sessions.setDialog(JSON.stringify(turn.state), run.now() + timeoutMs);
      return turn.error ? ctx.reply(turn.error, turn.question) : ctx.reply(turn.question);
    }
    case "complete":
      sessions.setDialog(null, null);
      await spec?.done(turn.answers as never, run.event, ctx);
      return;
    case "cancelled":
    case "changed":
      sessions.setDialog(null, null);
      return ctx.reply(turn.message);
  }
}
