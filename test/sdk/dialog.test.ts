import { describe, expect, test } from "bun:test";
import { z } from "zod";
import {
  answerDialog,
  DIALOG_DEFAULTS,
  type DialogState,
  dialogShape,
  startDialog,
} from "../../src/sdk/dialog.ts";

const minutes = z
  .string()
  .regex(/^in \d+ minutes?$/, 'say "in <n> minutes"')
  .transform((text) => Number(text.split(" ")[1]));
const steps = {
  when: { ask: "When?", answer: minutes },
  what: { ask: "What should I remind you of?" },
};

function asked(turn: ReturnType<typeof startDialog>): DialogState {
  if (turn.kind !== "ask") throw new Error(`expected a question, got ${turn.kind}`);
  return turn.state;
}

describe("dialogs", () => {
  test("asks each question in order and completes with the answers read by their schemas", () => {
    const first = startDialog("remind", steps);
    expect(first).toMatchObject({ kind: "ask", question: "When?" });
    const second = answerDialog(steps, {}, asked(first), "  in 10 minutes ");
    expect(second).toMatchObject({ kind: "ask", question: "What should I remind you of?" });
    expect(answerDialog(steps, {}, asked(second), "buy milk")).toEqual({
      kind: "complete",
      answers: { when: 10, what: "buy milk" },
    });
  });

  test("an answer the schema refuses is said back and the same question asked again", () => {
    const state = asked(startDialog("remind", steps));
    expect(answerDialog(steps, {}, state, "tomorrow")).toEqual({
      kind: "ask",
      state,
      question: "When?",
      error: 'say "in <n> minutes"',
    });
  });

  test("answers given at the start skip their questions", () => {
    const turn = startDialog("remind", steps, { when: 5 });
    expect(turn).toMatchObject({ kind: "ask", question: "What should I remind you of?" });
    expect(startDialog("remind", steps, { when: 5, what: "x" })).toEqual({
      kind: "complete",
      answers: { when: 5, what: "x" },
    });
  });

  test("a cancel word ends it, whatever its case; the words and message can be set", () => {
    const state = asked(startDialog("remind", steps));
    expect(answerDialog(steps, {}, state, "Cancel")).toEqual({
      kind: "cancelled",
      message: DIALOG_DEFAULTS.cancelled,
    });
    const options = { cancelWords: ["stop"], cancelled: "OK, stopped." };
    expect(answerDialog(steps, options, state, "cancel")).toMatchObject({ kind: "ask" });
    expect(answerDialog(steps, options, state, "STOP")).toEqual({
      kind: "cancelled",
      message: "OK, stopped.",
    });
  });

  test("a new version whose questions changed, or that dropped the dialog, ends it saying so", () => {
    const state = asked(startDialog("remind", steps));
    const changed = { when: steps.when, note: { ask: "Any note?" }, what: steps.what };
    expect(answerDialog(changed, {}, state, "in 1 minute")).toEqual({
      kind: "changed",
      message: DIALOG_DEFAULTS.changed,
    });
    expect(answerDialog(undefined, {}, state, "in 1 minute")).toMatchObject({ kind: "changed" });
    // A new version with the same questions (other wording, other schema) carries on.
    const reworded = { when: { ask: "When, then?", answer: minutes }, what: steps.what };
    expect(dialogShape("remind", reworded)).toBe(state.shape);
    expect(answerDialog(reworded, {}, state, "in 2 minutes")).toMatchObject({ kind: "ask" });
  });
});
