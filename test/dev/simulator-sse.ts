/** A server-sent-events client for tests: reads the simulator's stream as a browser would. */
import type { Entry } from "../../src/dev/simulator/transcript.ts";

export class EntryStream {
  readonly entries: Entry[] = [];
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decoder = new TextDecoder();
  #buffer = "";

  private constructor(reader: ReadableStreamDefaultReader<Uint8Array>) {
    this.#reader = reader;
  }

  static async open(url: string, lastEventId?: number): Promise<EntryStream> {
    const response = await fetch(url, {
      headers: lastEventId === undefined ? {} : { "last-event-id": String(lastEventId) },
    });
    if (response.status !== 200 || !response.body)
      throw new Error(`stream answered ${response.status}`);
    if (!response.headers.get("content-type")?.startsWith("text/event-stream"))
      throw new Error(`stream content-type is ${response.headers.get("content-type")}`);
    return new EntryStream(response.body.getReader());
  }

  /** The first entry (already received or still to come) that matches; fails after `timeoutMs`. */
  async next(match: (entry: Entry) => boolean, timeoutMs = 5000): Promise<Entry> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `no matching entry within ${timeoutMs} ms; got ${JSON.stringify(this.entries)}`,
            ),
          ),
        timeoutMs,
      );
    });
    try {
      for (;;) {
        const found = this.entries.find(match);
        if (found) return found;
        const { done, value } = await Promise.race([this.#reader.read(), timeout]);
        if (done) throw new Error("the stream ended");
        this.#buffer += this.#decoder.decode(value, { stream: true });
        let end = this.#buffer.indexOf("\n\n");
        while (end >= 0) {
          this.#parse(this.#buffer.slice(0, end));
          this.#buffer = this.#buffer.slice(end + 2);
          end = this.#buffer.indexOf("\n\n");
        }
      }
    } finally {
      clearTimeout(timer);
    }
  }

  #parse(block: string): void {
    const fields = new Map<string, string>();
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) continue; // a comment: keepalive
      const colon = line.indexOf(":");
      fields.set(line.slice(0, colon), line.slice(colon + 1).trimStart());
    }
    if (fields.get("event") !== "entry") return;
    const entry = JSON.parse(fields.get("data") ?? "null") as Entry;
    if (String(entry.seq) !== fields.get("id")) throw new Error("event id is not the entry's seq");
    this.entries.push(entry);
  }

  close(): Promise<void> {
    return this.#reader.cancel();
  }
}

/** The text of a bot entry's message, when it is a text message. */
export function botText(entry: Entry): string | undefined {
  return entry.kind === "bot" && entry.message.type === "text"
    ? (entry.message.text as string)
    : undefined;
}
