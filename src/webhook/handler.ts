import type { Clock } from "../core/clock.ts";
import { webhookEnvelopeSchema } from "../core/event-schemas.ts";
import { parseEvent, type ReceivedEvent } from "../core/parsed-event.ts";
import type { Logger } from "../logging/logger.ts";
import { BodyTooLargeError, readBody } from "./read-body.ts";
import { verifySignature } from "./signature.ts";

export interface WebhookHandlerOptions {
  channelSecret: string;
  maxBodyBytes: number;
  clock: Clock;
  log: Logger;
  /**
   * Stores the events durably (and routes them); resolves after the commit with how many were
   * new. The 200 waits for it.
   */
  ingest(events: ReceivedEvent[]): Promise<number>;
  onResponse?(status: number): void;
}

const decoder = new TextDecoder("utf-8", { fatal: true });

function reply(status: number, body: Record<string, unknown>): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8" },
  });
}

/** A reason goes into a one-line JSON error and a log line: no line breaks, bounded length. */
function oneLine(message: string): string {
  const flat = message.replace(/\s+/g, " ").trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}

/** The envelope as LINE sends it, checked by hand: the common case skips building zod's result. */
interface Envelope {
  destination?: string | undefined;
  events: unknown[];
}

function plainEnvelope(json: unknown): Envelope | undefined {
  if (json === null || typeof json !== "object" || Array.isArray(json)) return undefined;
  const { destination, events } = json as { destination?: unknown; events?: unknown };
  if (!Array.isArray(events)) return undefined;
  if (destination !== undefined && typeof destination !== "string") return undefined;
  return { destination, events };
}

/**
 * POST /webhook as a web-standard handler: bytes → size cap → signature → JSON → envelope →
 * one durable write → 200. Nothing is parsed or stored before the signature checks out.
 */
export function createWebhookHandler(options: WebhookHandlerOptions) {
  const { log } = options;

  return async function handleWebhook(request: Request): Promise<Response> {
    const started = performance.now();
    const done = (status: number, body: Record<string, unknown>, fields?: () => object) => {
      const level = status === 200 ? "info" : status >= 500 ? "error" : "warn";
      // Fields are built only when the line is written: at LOG_LEVEL=warn a 200 costs nothing here.
      if (log.isLevelEnabled(level)) {
        const durationMs = Math.round((performance.now() - started) * 100) / 100;
        log[level]({ status, durationMs, ...fields?.() }, "webhook");
      }
      options.onResponse?.(status);
      return reply(status, body);
    };

    const signature = request.headers.get("x-line-signature");
    if (!signature) return done(401, { error: "missing x-line-signature header" });

    let bytes: Uint8Array;
    try {
      bytes = await readBody(request, options.maxBodyBytes);
    } catch (error) {
      if (error instanceof BodyTooLargeError) return done(413, { error: error.message });
      return done(400, { error: "could not read the request body" });
    }
    if (!verifySignature(options.channelSecret, bytes, signature)) {
      return done(401, { error: "invalid x-line-signature" });
    }

    let text: string;
    try {
      text = decoder.decode(bytes);
    } catch {
      return done(400, { error: "body is not valid UTF-8" });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      return done(400, { error: `body is not valid JSON: ${oneLine((error as Error).message)}` });
    }
    let envelope: Envelope | undefined = plainEnvelope(json);
    if (!envelope) {
      // Not the common shape: zod decides, and names what is wrong.
      const parsed = webhookEnvelopeSchema.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const where = issue?.path.length ? issue.path.join(".") : "body";
        return done(400, {
          error: `not a webhook body: ${where}: ${oneLine(issue?.message ?? "invalid")}`,
        });
      }
      envelope = parsed.data;
    }

    const { destination, events } = envelope;
    const now = options.clock.now();
    const received = events.map(
      (raw): ReceivedEvent => ({
        parsed: parseEvent(raw, now),
        body: JSON.stringify(raw),
        destination,
      }),
    );
    let stored: number;
    try {
      stored = await options.ingest(received);
    } catch (error) {
      // 500 makes LINE redeliver (when redelivery is on): nothing was acked, nothing is lost.
      return done(500, { error: "could not store the events" }, () => ({ err: error }));
    }
    return done(200, {}, () => ({
      events: received.length,
      stored,
      duplicates: received.length - stored,
      webhookEventIds: received.map((event) => event.parsed.id),
    }));
  };
}
