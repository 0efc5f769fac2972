/**
 * What the bot sent, as chat messages: the replies and pushes the LINE stand-in accepted, each put
 * in the chat it went to. The stand-in has no change feed, so its request log is read on demand.
 */
import type { LineStandIn } from "../line-stand-in/mod.ts";
import type { SentEvents } from "./sent-events.ts";
import type { ChatKey, Transcript } from "./transcript.ts";

export interface BotMessagesOptions {
  standIn: LineStandIn;
  transcript: Transcript;
  sent: SentEvents;
}

/** The chat a push went to, by the kind of id: user, group or room. */
function chatOfRecipient(to: unknown): ChatKey | undefined {
  if (typeof to !== "string") return undefined;
  if (to.startsWith("U")) return `user:${to}`;
  if (to.startsWith("C")) return `group:${to}`;
  if (to.startsWith("R")) return `room:${to}`;
  return undefined;
}

export class BotMessages {
  readonly #o: BotMessagesOptions;
  #requestsSeen = 0;

  constructor(options: BotMessagesOptions) {
    this.#o = options;
  }

  /** Adds the replies and pushes accepted since last time to the transcript. */
  sync(): void {
    const requests = this.#o.standIn.requests;
    if (requests.length < this.#requestsSeen) this.#requestsSeen = 0; // the stand-in was reset
    for (; this.#requestsSeen < requests.length; this.#requestsSeen++) {
      const request = requests[this.#requestsSeen];
      if (!request || request.status >= 300 || request.faulted) continue;
      const via = request.path.endsWith("/message/reply")
        ? "reply"
        : request.path.endsWith("/message/push")
          ? "push"
          : undefined;
      if (!via) continue;
      const body = request.body as { replyToken?: string; to?: string; messages?: unknown[] };
      const chat =
        via === "reply"
          ? this.#o.sent.chatOfReply(body.replyToken ?? "")
          : chatOfRecipient(body.to);
      // Replies to events the simulator did not send (`bun run send`) belong to no chat here.
      if (!chat) continue;
      for (const message of body.messages ?? []) this.#add(chat, via, message);
    }
  }

  #add(chat: ChatKey, via: "reply" | "push", message: unknown): void {
    const object = message as Record<string, unknown>;
    const quoted =
      typeof object.quoteToken === "string" ? this.#o.sent.quoted(object.quoteToken) : undefined;
    this.#o.transcript.add({
      kind: "bot",
      chat,
      via,
      message: object,
      ...(quoted ? { quoted } : {}),
    });
  }
}
