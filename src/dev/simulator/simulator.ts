/**
 * The local chat simulator: a page at /dev that stands in for the LINE app in local mode. Every
 * action goes the real way: the backend builds the event LINE would send, signs it with the local
 * channel secret and posts it to the bot's own webhook (inbox → plugins → the LINE stand-in), and
 * the bot's answers are read back from what the stand-in received.
 */

import type { BotView } from "../../hotline.ts";
import type { Logger } from "../../logging/logger.ts";
import type { LineStandIn } from "../line-stand-in/mod.ts";
import { Actions } from "./actions.ts";
import { BotMessages } from "./bot-messages.ts";
import { GROUP, PEOPLE } from "./cast.ts";
import { deliveriesOf } from "./deliveries-view.ts";
import { EntryStreams } from "./entry-stream.ts";
import { SimulatorRequestError } from "./http.ts";
import { RequestGuard } from "./request-guard.ts";
import { RichMenus } from "./rich-menus.ts";
import { simulatorRoutes } from "./routes.ts";
import { SentEvents } from "./sent-events.ts";
import { Transcript } from "./transcript.ts";
import { MAX_UPLOAD_BYTES, Uploads } from "./uploads.ts";
import { sessionView, stateView } from "./views.ts";
import { WebhookSender } from "./webhook.ts";

export { BOT_HANDLE, GROUP, PEOPLE } from "./cast.ts";

export interface SimulatorOptions {
  standIn: LineStandIn;
  channelSecret: string;
  /** The bot, in process: its HTTP surface, its plugins and its store. */
  bot: BotView;
  webhookPath: string;
  log: Logger;
  now?: () => number;
  /** The channels besides "default" (the config file's), and their secrets, to pick from. */
  channels?: { names(): string[]; secretOf(name: string): string | undefined };
}

export class Simulator {
  static readonly PATH = "/dev";
  static readonly MAX_UPLOAD_BYTES = MAX_UPLOAD_BYTES;

  readonly #o: SimulatorOptions;
  readonly #transcript: Transcript;
  readonly #sent: SentEvents;
  readonly #uploads: Uploads;
  readonly #botMessages: BotMessages;
  readonly #streams: EntryStreams;
  readonly #actions: Actions;
  readonly #guard = new RequestGuard();
  readonly #richMenus: RichMenus;
  readonly #webhook: WebhookSender;

  constructor(options: SimulatorOptions) {
    const { standIn, channelSecret, log } = options;
    const transcript = new Transcript(options.now ?? Date.now);
    const sent = new SentEvents();
    const uploads = new Uploads(standIn);
    const botMessages = new BotMessages({ standIn, transcript, sent });
    const webhook = new WebhookSender({
      standIn,
      channelSecret,
      ...(options.channels ? { secretOf: options.channels.secretOf } : {}),
      fetchBot: options.bot.fetch,
      webhookPath: options.webhookPath,
      sent,
      log,
    });
    this.#o = options;
    this.#webhook = webhook;
    this.#transcript = transcript;
    this.#sent = sent;
    this.#uploads = uploads;
    this.#botMessages = botMessages;
    this.#richMenus = new RichMenus(standIn, () => webhook.channel);
    this.#streams = new EntryStreams({ transcript, sync: () => botMessages.sync() });
    this.#actions = new Actions({
      standIn,
      transcript,
      sent,
      webhook,
      uploads,
      fetchBot: options.bot.fetch,
    });
    for (const person of PEOPLE)
      standIn.setProfile({ userId: person.id, displayName: person.name });
    // The group the bot is in, as LINE's group endpoints report it.
    const members = PEOPLE.map((person) => person.id);
    standIn.setGroup(GROUP.id, { name: GROUP.name, members });
  }

  /** Closes the open event streams and stops looking for bot messages. */
  /** The bot is reachable at this URL: pages there, and requests naming it, may use /dev. */
  allow(url: string): void {
    this.#guard.allow(url);
  }

  stop(): void {
    this.#streams.stop();
  }

  /** The channel the next events go to. */
  #pick(name: string): { channel: string } {
    if (name !== "default" && this.#o.channels?.secretOf(name) === undefined)
      throw new SimulatorRequestError(400, `no channel "${name}" is configured`);
    this.#webhook.channel = name;
    return { channel: name };
  }

  routes() {
    const actions = this.#actions;
    return simulatorRoutes(
      Simulator.PATH,
      {
        session: () => {
          this.#botMessages.sync();
          const session = sessionView(this.#o.standIn.botUserId, this.#transcript.since(0));
          const channels = ["default", ...(this.#o.channels?.names() ?? [])];
          return { ...session, channels, channel: this.#webhook.channel };
        },
        channel: (name) => this.#pick(name),
        state: async () =>
          stateView(
            this.#o.bot.plugins,
            await deliveriesOf(this.#o.bot.store, this.#sent.recent, this.#o.bot.shadow),
          ),
        stream: (request) => this.#streams.open(request),
        content: (messageId) => this.#uploads.serve(messageId),
        send: (action) => actions.send(action),
        upload: (query, request) => actions.upload(query, request),
        accountLink: (input) => actions.accountLink(input),
        richMenu: (userId) => this.#richMenus.shownTo(userId),
        richMenuImage: (userId, richMenuId) => this.#richMenus.image(userId, richMenuId),
      },
      this.#guard,
    );
  }
}
