/** What the simulator shows: every chat's messages, in the order they happened. */

/** `user:<userId>` for a user's 1:1 chat with the bot, `group:<groupId>` for a group. */
export type ChatKey = string;

export type UserMessage =
  | { type: "text"; id: string; text: string }
  /** A tap on an action that sends a postback event; `id` is the event's. */
  | { type: "postback"; id: string; data: string; label?: string; displayText?: string }
  | { type: "sticker"; id: string; packageId: string; stickerId: string }
  | {
      type: "image" | "video" | "audio" | "file";
      id: string;
      contentType: string;
      size: number;
      fileName?: string;
    };

interface Common {
  seq: number;
  chat: ChatKey;
  at: number;
}

export type Entry = Common &
  (
    | {
        kind: "user";
        user: string;
        eventId: string;
        message: UserMessage;
        /** The webhook's answer to the simulator's post. */
        status: number;
      }
    | {
        kind: "bot";
        via: "reply" | "push";
        /** The message object as the bot sent it (text, sticker, template, flex…). */
        message: Record<string, unknown>;
        /** The text of the user message the bot quoted, when it quoted one. */
        quoted?: string;
      }
    /** Anything else that happened in the chat: a follow, a beacon, a sign-in, an unsend. */
    | {
        kind: "system";
        text: string;
        eventId?: string;
        status?: number;
        /** Set for an unsend: the message that is gone. */
        unsent?: string;
      }
  );

export type NewEntry = Entry extends infer E
  ? E extends Entry
    ? Omit<E, "seq" | "at">
    : never
  : never;

/** Append-only, bounded: the oldest entries go once there are too many. */
export class Transcript {
  readonly #entries: Entry[] = [];
  readonly #listeners = new Set<(entry: Entry) => void>();
  #seq = 0;

  constructor(
    private readonly now: () => number,
    private readonly limit = 2000,
  ) {}

  add(entry: NewEntry): Entry {
    const full = { ...entry, seq: ++this.#seq, at: this.now() } as Entry;
    this.#entries.push(full);
    if (this.#entries.length > this.limit)
      this.#entries.splice(0, this.#entries.length - this.limit);
    for (const listener of this.#listeners) listener(full);
    return full;
  }

  since(seq: number): Entry[] {
    return this.#entries.filter((entry) => entry.seq > seq);
  }

  /** Listens to new entries; returns the unsubscribe function. */
  listen(listener: (entry: Entry) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get listeners(): number {
    return this.#listeners.size;
  }
}
