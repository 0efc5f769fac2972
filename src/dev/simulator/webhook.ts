/** Posts events to the bot's webhook as LINE does: one envelope per event, signed. */
import type { Logger } from "../../logging/logger.ts";
import { signBody } from "../../webhook/signature.ts";
import { envelope } from "../events/mod.ts";
import type { LineStandIn } from "../line-stand-in/mod.ts";
import type { BotFetch } from "./account-link.ts";
import type { SentEvents } from "./sent-events.ts";
import type { ChatKey } from "./transcript.ts";

export interface WebhookSenderOptions {
  standIn: LineStandIn;
  channelSecret: string;
  /** The bot itself, in process: the webhook's path on it. */
  fetchBot: BotFetch;
  webhookPath: string;
  sent: SentEvents;
  log: Logger;
}

/** The parts of an event the sending needs. */
export interface OutgoingEvent {
  webhookEventId: string;
  replyToken?: string;
}

export class WebhookSender {
  readonly #o: WebhookSenderOptions;

  constructor(options: WebhookSenderOptions) {
    this.#o = options;
  }

  /** Signs and posts one event that happened in `chat`; resolves with the webhook's status. */
  async post(chat: ChatKey, event: OutgoingEvent): Promise<number> {
    const { standIn, sent, log } = this.#o;
    // LINE knows what it sent: the token it issued (or the bot's reply is refused), followers,
    // who joined or left which group.
    standIn.observe(event);
    if (event.replyToken) sent.expectReply(event.replyToken, chat);
    const body = JSON.stringify(envelope([event], standIn.botUserId));
    const response = await this.#o.fetchBot(
      new Request(`http://bot.invalid${this.#o.webhookPath}`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-line-signature": signBody(this.#o.channelSecret, body),
        },
        body,
      }),
    );
    await response.body?.cancel();
    sent.posted(event.webhookEventId);
    if (response.status !== 200)
      log.warn(
        { webhookEventId: event.webhookEventId, status: response.status },
        "simulator: the webhook refused an event",
      );
    return response.status;
  }
}
