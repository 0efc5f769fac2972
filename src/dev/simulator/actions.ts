/**
 * What people do in the simulator, carried out the real way: each action becomes the webhook event
 * LINE would send, posted to the bot, and an entry in the transcript with the webhook's answer.
 */
import type { LineStandIn } from "../line-stand-in/mod.ts";
import { type BotFetch, signIn } from "./account-link.ts";
import { personOf } from "./cast.ts";
import {
  type BuiltEvent,
  buildAccountLink,
  buildRichMenuSwitch,
  buildSend,
  buildUpload,
} from "./event-building.ts";
import type { AccountLinkInput, SendAction, UploadQuery } from "./schemas.ts";
import type { SentEvents } from "./sent-events.ts";
import type { Entry, Transcript } from "./transcript.ts";
import type { Uploads } from "./uploads.ts";
import type { WebhookSender } from "./webhook.ts";

export interface ActionsOptions {
  standIn: LineStandIn;
  transcript: Transcript;
  sent: SentEvents;
  webhook: WebhookSender;
  uploads: Uploads;
  fetchBot: BotFetch;
}

export class Actions {
  readonly #o: ActionsOptions;

  constructor(options: ActionsOptions) {
    this.#o = options;
  }

  async send(action: SendAction): Promise<{ entry: Entry }> {
    if (action.type === "richmenuswitch") {
      // The LINE app switches the menu itself, then tells the bot with a postback.
      const switched = this.#o.standIn.switchRichMenu(
        action.user,
        action.aliasId,
        this.#o.webhook.channel,
      );
      return { entry: await this.#post(buildRichMenuSwitch(action, switched)) };
    }
    if (action.type === "unsend") this.#o.uploads.unsent(action.messageId);
    return { entry: await this.#post(buildSend(action, this.#o.standIn.botUserId)) };
  }

  async upload(query: UploadQuery, request: Request): Promise<{ entry: Entry }> {
    const uploaded = await this.#o.uploads.receive(request);
    return { entry: await this.#post(buildUpload(query, uploaded)) };
  }

  /** Signs in through the link in the bot's reply; LINE's redirect becomes the accountLink event. */
  async accountLink(
    input: AccountLinkInput,
  ): Promise<{ entry: Entry; result: "ok" | "failed"; nonce: string }> {
    const person = personOf(input.user);
    const { providerUserId } = input;
    const { nonce, linkToken } = await signIn({
      fetchBot: this.#o.fetchBot,
      url: input.url,
      providerUserId,
    });
    // LINE checks that the person signing in is the user the link token was issued to.
    const issuedTo = this.#o.standIn.linkTokens.find((t) => t.linkToken === linkToken)?.userId;
    const ok = issuedTo === person.id;
    const entry = await this.#post(buildAccountLink({ person, ok, nonce, providerUserId }));
    return { entry, result: ok ? "ok" : "failed", nonce };
  }

  async #post({ chat, event, entry, quote }: BuiltEvent): Promise<Entry> {
    if (quote) this.#o.sent.rememberQuote(quote.token, quote.text);
    const status = await this.#o.webhook.post(chat, event);
    return this.#o.transcript.add({ ...entry, chat, eventId: event.webhookEventId, status });
  }
}
