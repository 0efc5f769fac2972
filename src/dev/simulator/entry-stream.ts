/**
 * The transcript as server-sent events: what a page missed (from `Last-Event-ID` or `?after=`),
 * then every new entry live. While any page watches, the bot's messages are looked for often.
 */
import type { Entry, Transcript } from "./transcript.ts";

export interface EntryStreamsOptions {
  transcript: Transcript;
  /** Brings the transcript up to date with what the bot sent. */
  sync(): void;
}

const encoder = new TextEncoder();
/** How often new bot messages are looked for while a page is connected. */
const SYNC_MS = 100;
/** Bun closes connections idle for 10 s: a comment line keeps the event stream open. */
const KEEPALIVE_MS = 5000;

export class EntryStreams {
  readonly #o: EntryStreamsOptions;
  readonly #open = new Set<() => void>();
  #ticker: ReturnType<typeof setInterval> | undefined;

  constructor(options: EntryStreamsOptions) {
    this.#o = options;
  }

  /** Closes the open streams and stops looking for bot messages. */
  stop(): void {
    for (const close of [...this.#open]) close();
    this.#stopTicker();
  }

  open(request: Request): Response {
    const url = new URL(request.url);
    const after = Number(request.headers.get("last-event-id") ?? url.searchParams.get("after"));
    let close = () => {};
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        close = this.#start(controller, Number.isFinite(after) ? after : 0);
      },
      cancel: () => close(),
    });
    return new Response(body, {
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store",
      },
    });
  }

  /** Writes the backlog and listens for more; returns the stream's close. */
  #start(controller: ReadableStreamDefaultController<Uint8Array>, after: number): () => void {
    const { transcript, sync } = this.#o;
    let close = () => {};
    const write = (text: string) => {
      try {
        controller.enqueue(encoder.encode(text));
      } catch {
        close();
      }
    };
    const send = (entry: Entry) =>
      write(`id: ${entry.seq}\nevent: entry\ndata: ${JSON.stringify(entry)}\n\n`);
    // Something at once: the response (and the page's "open") waits for the first bytes.
    write("retry: 1000\n\n");
    sync();
    for (const entry of transcript.since(after)) send(entry);
    const unlisten = transcript.listen(send);
    const keepalive = setInterval(() => write(": keepalive\n\n"), KEEPALIVE_MS);
    close = () => {
      if (!this.#open.delete(close)) return;
      unlisten();
      clearInterval(keepalive);
      try {
        controller.close();
      } catch {
        // Already closed by the client.
      }
      if (this.#open.size === 0) this.#stopTicker();
    };
    this.#open.add(close);
    this.#ticker ??= setInterval(sync, SYNC_MS);
    return close;
  }

  #stopTicker(): void {
    clearInterval(this.#ticker);
    this.#ticker = undefined;
  }
}
