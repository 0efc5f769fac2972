/** The webhook request body that carries events to the bot. */
import type { WebhookEnvelope } from "../../core/events.ts";
import { BOT_USER_ID } from "./ids.ts";

/** A webhook request body carrying `events`. */
export function envelope(
  events: readonly object[],
  destination: string = BOT_USER_ID,
): WebhookEnvelope {
  return { destination, events: [...events] };
}
