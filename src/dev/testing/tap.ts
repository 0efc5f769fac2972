/**
 * What tapping a button sends: the test kit finds the action by its label in what the bot sent
 * (a quick reply, a template's buttons, a Flex button, an imagemap area) and makes the event LINE
 * would send for it.
 */
import type { Source } from "../../core/events.ts";
import { event, user } from "../events/mod.ts";
import type { LineStandIn } from "../line-stand-in/mod.ts";

/** A datetime picker's choice (the one its mode asks for); LINE puts it in `postback.params`. */
export interface PickerChoice {
  date?: string;
  time?: string;
  datetime?: string;
}

export interface TapOptions {
  /** What the person picks, for a datetime picker. */
  params?: PickerChoice;
  /** Look only in this message (default: the bot's replies to the event, then its pushes there). */
  message?: unknown;
}

interface FoundAction {
  type: string;
  label?: string;
  data?: string;
  text?: string;
  mode?: string;
  richMenuAliasId?: string;
}

/** The tappable objects in a message, depth first, as LINE shows them in order. */
function actionsIn(value: unknown, found: FoundAction[] = []): FoundAction[] {
  if (Array.isArray(value)) for (const item of value) actionsIn(item, found);
  else if (typeof value === "object" && value !== null) {
    const object = value as Record<string, unknown>;
    if (typeof object.type === "string" && typeof object.label === "string")
      found.push(object as unknown as FoundAction);
    for (const child of Object.values(object)) actionsIn(child, found);
  }
  return found;
}

/** The action labelled `label` in the messages; throws, listing the labels there are, when none is. */
export function findAction(messages: readonly unknown[], label: string): FoundAction {
  const actions = actionsIn(messages);
  const action = actions.find((candidate) => candidate.label === label);
  if (action) return action;
  const labels = [...new Set(actions.map((candidate) => `"${candidate.label}"`))].join(", ");
  throw new Error(
    `no action labelled "${label}" in what the bot sent (labels: ${labels || "none"})`,
  );
}

/** The event LINE sends when `source` taps `action`. */
export function tapEvent(action: FoundAction, source: Source | undefined, options: TapOptions) {
  const chat = source ?? null;
  if (action.type === "postback") return event.postback(action.data ?? "", { chat });
  if (action.type === "datetimepicker") {
    if (!options.params)
      throw new Error(
        `"${action.label}" is a ${action.mode} picker: pass { params: { ${action.mode}: … } }`,
      );
    return event.postback(action.data ?? "", { chat, params: options.params });
  }
  if (action.type === "message") return event.text(action.text ?? action.label ?? "", { chat });
  throw new Error(`"${action.label}" is a ${action.type} action: tapping it sends the bot nothing`);
}

/**
 * The event LINE sends when the user taps the area labelled `label` of the rich menu they see; a
 * switch action shows them the alias's menu first, as their phone would.
 */
export function richMenuTapEvent(line: LineStandIn, userId: string, label: string) {
  const menu = line.richMenuOf(userId);
  if (!menu) throw new Error(`${userId} sees no rich menu (none linked to them, and no default)`);
  const action = findAction([menu.menu.areas], label);
  if (action.type !== "richmenuswitch") return tapEvent(action, user(userId), {});
  const aliasId = action.richMenuAliasId ?? "";
  const params = line.switchRichMenu(userId, aliasId)
    ? { newRichMenuAliasId: aliasId, status: "SUCCESS" as const }
    : { status: "RICHMENU_ALIAS_ID_NOTFOUND" as const };
  return event.postback(action.data ?? "", { chat: user(userId), params });
}
