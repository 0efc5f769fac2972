/**
 * What the simulator remembers of the events it sent: the chat each reply token answers, the
 * text each quote token quotes, and which events are recent enough to show their deliveries.
 */
import { BoundedMap } from "./bounded-map.ts";
import type { ChatKey } from "./transcript.ts";

const KEPT_TOKENS = 1000;
const RECENT_EVENTS = 200;

export class SentEvents {
  readonly #replyChats = new BoundedMap<string, ChatKey>(KEPT_TOKENS);
  readonly #quotes = new BoundedMap<string, string>(KEPT_TOKENS);
  /** Newest last. */
  readonly #recent: string[] = [];

  /** A reply with this token goes to `chat`. */
  expectReply(replyToken: string, chat: ChatKey): void {
    this.#replyChats.set(replyToken, chat);
  }

  /** The chat a reply token answers; undefined for events the simulator did not send. */
  chatOfReply(replyToken: string): ChatKey | undefined {
    return this.#replyChats.get(replyToken);
  }

  rememberQuote(quoteToken: string, text: string): void {
    this.#quotes.set(quoteToken, text);
  }

  /** The text a quote token quotes, when it is one of the simulator's messages. */
  quoted(quoteToken: string): string | undefined {
    return this.#quotes.get(quoteToken);
  }

  posted(webhookEventId: string): void {
    this.#recent.push(webhookEventId);
    if (this.#recent.length > RECENT_EVENTS) this.#recent.shift();
  }

  /** The webhook event ids of the recent events, oldest first. */
  get recent(): readonly string[] {
    return this.#recent;
  }
}
