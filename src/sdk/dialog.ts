/**
 * Dialogs: a plugin's questions asked one at a time, each answer read with a zod schema, kept in
 * the plugin's "dialog" session for the chat and user (so a dialog survives a restart), and ended
 * by the last answer, a cancel word, or its timeout. Pure: the worker runs the turns, the host
 * routes a chat's next text to the plugin whose dialog is open there.
 */
import { z } from "zod";

/** One question. The answer is the message text, trimmed, read with `answer` (default: any text). */
export interface DialogStep<T = unknown> {
  ask: string;
  /** Reads the answer; its error message is said back, then the question again. */
  answer?: z.ZodType<T, string>;
}

export type DialogSteps = Record<string, DialogStep>;

/** The answers so far, typed from the steps' schemas. */
export type DialogAnswers<S extends DialogSteps> = {
  [K in keyof S]: S[K]["answer"] extends z.ZodType<infer T, string> ? T : string;
};

export interface DialogOptions {
  /** How long the dialog waits for an answer; each answer restarts it. Default 10 minutes. */
  timeoutMs?: number;
  /** Texts that end the dialog (case is ignored). Default `["cancel"]`. */
  cancelWords?: readonly string[];
  /** Said when a cancel word ends it. */
  cancelled?: string;
}

/** A declared dialog: its steps, and what to do with the answers. `Ctx`, `E`: as a command's. */
export interface DialogSpec<S extends DialogSteps, Ctx, E> extends DialogOptions {
  /** The questions, asked in this order; `ctx.dialog(name, answers)` skips those answered. */
  steps: S;
  /** Runs on the message that answers the last question. */
  done(answers: DialogAnswers<S>, event: E, ctx: Ctx): unknown;
}

export const DIALOG_DEFAULTS = {
  timeoutMs: 10 * 60_000,
  cancelWords: ["cancel"],
  cancelled: "Cancelled.",
  /** Said when the plugin was updated and this dialog's questions changed under it. */
  changed: "Sorry, I was updated in the middle of this and lost our place: please start again.",
} as const;

/** A dialog in progress, as its session stores it. */
export const dialogStateSchema = z.object({
  dialog: z.string(),
  /** The step keys when it started: a reload that changes them ends the dialog, saying so. */
  shape: z.string(),
  step: z.number().int().nonnegative(),
  answers: z.record(z.string(), z.unknown()),
});
export type DialogState = z.infer<typeof dialogStateSchema>;

/** What identifies a dialog's questions: its name and its step keys, in order. */
export function dialogShape(name: string, steps: DialogSteps): string {
  return JSON.stringify([name, Object.keys(steps)]);
}

/** What one answer does to a dialog. */
export type DialogTurn =
  /** Ask this question (the first, the next, or the same one again after `error`). */
  | { kind: "ask"; state: DialogState; question: string; error?: string }
  | { kind: "complete"; answers: Record<string, unknown> }
  | { kind: "cancelled"; message: string }
  /** The plugin's new version asks other questions: the dialog ends, saying so. */
  | { kind: "changed"; message: string };

/** The first question of a dialog, with answers given up front (their steps are skipped). */
export function startDialog(
  name: string,
  steps: DialogSteps,
  given: Record<string, unknown> = {},
): DialogTurn {
  const state: DialogState = {
    dialog: name,
    shape: dialogShape(name, steps),
    step: 0,
    answers: {},
  };
  return advance(steps, { ...state, answers: { ...given } });
}

/** Reads one answer (a text) in a dialog in progress. */
export function answerDialog(
  steps: DialogSteps | undefined,
  options: DialogOptions,
  state: DialogState,
  text: string,
): DialogTurn {
  if (!steps || dialogShape(state.dialog, steps) !== state.shape)
    return { kind: "changed", message: DIALOG_DEFAULTS.changed };
  const answer = text.trim();
  const cancelWords = options.cancelWords ?? DIALOG_DEFAULTS.cancelWords;
  if (cancelWords.some((word) => word.toLowerCase() === answer.toLowerCase()))
    return { kind: "cancelled", message: options.cancelled ?? DIALOG_DEFAULTS.cancelled };
  const [key, step] = Object.entries(steps)[state.step] ?? [];
  if (key === undefined || step === undefined)
    return { kind: "changed", message: DIALOG_DEFAULTS.changed };
  const read = (step.answer ?? z.string().min(1)).safeParse(answer);
  if (!read.success)
    return {
      kind: "ask",
      state,
      question: step.ask,
      error: read.error.issues[0]?.message ?? "I did not understand that.",
    };
  return advance(steps, { ...state, answers: { ...state.answers, [key]: read.data } });
}

/** Moves to the first step without an answer: asks it, or completes. */
function advance(steps: DialogSteps, state: DialogState): DialogTurn {
  const entries = Object.entries(steps);
  const next = entries.findIndex(([key]) => !(key in state.answers));
  if (next === -1) return { kind: "complete", answers: state.answers };
  const [, step] = entries[next] as [string, DialogStep];
  return { kind: "ask", state: { ...state, step: next }, question: step.ask };
}
