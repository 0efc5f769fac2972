/**
 * "Tap to see the answer", for plugins that opt in (`tapToSee` in their settings section): when
 * such a plugin is still working as its event's reply goes out, the reply ends with a message
 * whose button is a postback of the host's; what the plugin replies afterwards is held in the
 * store instead of pushed; the tap brings a fresh reply token, and the host replies the held
 * answer with it. Replies are free, pushes are billed: the slow answer stays free.
 */
import type { ParsedEvent } from "../core/events.ts";
import type { Message } from "../core/message.ts";
import { decodePostbackData, encodePostbackData } from "../sdk/postback-data.ts";
import { HOST_RESPONDER, TAP_ROUTE } from "../sdk/routing.ts";
import type { Store } from "../storage/store.ts";
import type { DeliveryJob, DeliveryOutcome } from "./types.ts";

export const TAP_LABEL = "Show the answer";
const STILL_WORKING = "Still working on it. Tap again in a moment.";

export interface TapToSeeOptions {
  /** The host's postback key (see `postbackKey`): no plugin holds it, so no plugin can forge a tap. */
  key: Uint8Array;
  store: Pick<Store, "held" | "deliveriesOf">;
  /** The plugin's "tap to see" text; undefined when it has not opted in. */
  textOf(plugin: string): string | undefined;
}

export class TapToSee {
  readonly #o: TapToSeeOptions;

  constructor(options: TapToSeeOptions) {
    this.#o = options;
  }

  /** The text to show for the first of these plugins that opted in, and which of them did. */
  opted(plugins: readonly string[]): { text: string; plugins: string[] } | undefined {
    const opted = plugins.filter((plugin) => this.#o.textOf(plugin) !== undefined);
    const first = opted[0];
    return first === undefined
      ? undefined
      : { text: this.#o.textOf(first) as string, plugins: opted };
  }

  /** The message whose button asks for the event's held answer. */
  message(eventId: string, text: string): Message {
    const data = encodePostbackData(
      this.#o.key,
      { plugin: HOST_RESPONDER, route: TAP_ROUTE },
      eventId,
    );
    return {
      type: "text",
      text,
      quickReply: {
        items: [
          {
            type: "action",
            action: { type: "postback", label: TAP_LABEL, data, displayText: TAP_LABEL },
          },
        ],
      },
    } as Message;
  }

  /** Keeps a plugin's late replies for the tap. */
  hold(
    eventId: string,
    plugin: string,
    offset: number,
    messages: Message[],
    now: number,
  ): Promise<void> {
    return this.#o.store.held.hold(
      eventId,
      { plugin, offset, messages: JSON.stringify(messages) },
      now,
    );
  }

  /**
   * The host's answer to a tap: the held answer as a reply; "still working" (with the button
   * again) while the plugin has not answered; nothing when there is nothing more to show. The
   * answer is kept until its event is pruned: a second tap shows it again, still free.
   */
  async answer(job: DeliveryJob): Promise<DeliveryOutcome> {
    const eventId = this.#eventOf(job.parsed);
    if (eventId === undefined) return { status: "gone", reason: "not a tap the host made" };
    try {
      const held = await this.#o.store.held.heldFor(eventId);
      if (held.length > 0) {
        await job.reply(held.flatMap((row) => JSON.parse(row.messages) as Message[]));
        return { status: "ok" };
      }
      const deliveries = await this.#o.store.deliveriesOf(eventId);
      if (deliveries.some((d) => d.status === "pending" || d.status === "retry"))
        await job.reply([this.message(eventId, STILL_WORKING)]);
      return { status: "ok" };
    } catch (error) {
      return { status: "failed", error: error instanceof Error ? error.message : String(error) };
    }
  }

  #eventOf(parsed: ParsedEvent): string | undefined {
    const data = (parsed.event as { postback?: { data?: unknown } }).postback?.data;
    if (typeof data !== "string") return undefined;
    try {
      const { route, payload } = decodePostbackData(this.#o.key, data);
      return route === TAP_ROUTE && typeof payload === "string" ? payload : undefined;
    } catch {
      return undefined;
    }
  }
}
