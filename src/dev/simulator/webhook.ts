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
  /** Another channel's secret (its webhook is `<webhookPath>/<name>`); undefined: none such. */
  secretOf?(channel: string): string | undefined;
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
  /** The channel events go to: "default", or one of the config file's the page picked. */
  channel = "default";

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
    const other = this.channel === "default" ? undefined : this.channel;
    // A channel removed meanwhile: signed with the default secret, the webhook answers 404.
    const secret = (other && this.#o.secretOf?.(other)) || this.#o.channelSecret;
    const path = other ? `${this.#o.webhookPath}/${other}` : this.#o.webhookPath;
    const response = await this.#o.fetchBot(
      new Request(`http://bot.invalid${path}`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-line-signature": signBody(secret, body),
        },
        body,
      }),
    );
    await response.body?.cancel();
    // As the bot stores it: another channel's ids behind its name.
    sent.posted(other ? `${other}/${event.webhookEventId}` : event.webhookEventId);
    if (response.status !== 200)
      log.warn(
        { webhookEventId: event.webhookEventId, status: response.status },
        "simulator: the webhook refused an event",
      );
    return response.status;
  }
}
