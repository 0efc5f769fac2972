import type { ParsedEvent } from "../core/parsed-event.ts";
import type { DeliveryEffects } from "../storage/store.ts";
import { sessionWrites } from "./sessions.ts";
import type { DeliveryOutcome } from "./types.ts";

/** What a run that succeeded changed besides its answers, as the store saves it when done. */
export function runEffects(
  plugin: string,
  parsed: ParsedEvent,
  outcome: Extract<DeliveryOutcome, { status: "ok" }>,
): DeliveryEffects | undefined {
  const sessions = sessionWrites(plugin, parsed, outcome.sessions);
  const schedules = outcome.schedules ?? [];
  if (sessions.length + schedules.length === 0) return undefined;
  return {
    ...(sessions.length > 0 ? { sessions } : {}),
    ...(schedules.length > 0 ? { schedules } : {}),
  };
}
