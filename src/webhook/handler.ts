import { DEFAULT_CHANNEL } from "../core/channel.ts";
import type { Clock } from "../core/clock.ts";
import { webhookEnvelopeSchema } from "../core/event-schemas.ts";
import { parseEvent, type ReceivedEvent } from "../core/parsed-event.ts";
import type { Logger } from "../logging/logger.ts";
import { nestsDeeperThan } from "./nesting.ts";
import { BodyTooLargeError, readBody } from "./read-body.ts";
import { verifySignature } from "./signature.ts";

/**
 * How deep arrays and objects may nest in a webhook body. LINE's events are shallow (the deepest
 * of its documented examples nests 7 levels, the envelope included); what parses the body after
 * the check may recurse once per level, so a deeper body is refused before it is parsed.
 */
export const MAX_NESTING_DEPTH = 64;

export interface WebhookEndpointOptions {
  /** The default channel's secret, when `secretOf` is not given. */
  channelSecret?: string;
  /** The secret of the channel named so; undefined: no such channel (any longer). */
  secretOf?(channel: string): string | undefined;
  maxBodyBytes: number;
  /** Events one request may carry; more gets 400 (see WEBHOOK_MAX_EVENTS). */
  maxEvents: number;
  clock: Clock;
  log: Logger;
  /**
   * Stores the events durably (and routes them); resolves after the commit with how many were
   * new. The 200 waits for it.
   */
  ingest(events: ReceivedEvent[]): Promise<number>;
  /** Every answer the webhook gives, by status: the ones the route refuses early too. */
  onResponse?(status: number): void;
}

/** The webhook route: the handler for its POSTs, and the answers to what it refuses early. */
export interface WebhookEndpoint {
  /**
   * `POST <WEBHOOK_PATH>` (the default channel) or `POST <WEBHOOK_PATH>/<channel>`: bytes → size
   * cap → that channel's signature → nesting depth → JSON → envelope → event count → one durable
   * write → 200.
   */
  handle(request: Request, channel?: string): Promise<Response>;
  /**
   * Answers a request refused before it reaches `handle`: another method (405), a path under the
   * webhook's that names no route (404), a body over the server's cap (413). Logged and counted
   * like every other answer: an operator must see a misconfigured webhook URL.
   */
  refuse(request: Request, status: 404 | 405 | 413): Response;
}

const decoder = new TextDecoder("utf-8", { fatal: true });

function reply(status: number, body: Record<string, unknown>, headers?: HeadersInit): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
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

/** An answer of the webhook, as sent; the log line's fields are built only if it is written. */
type Answer = (
  status: number,
  body: Record<string, unknown>,
  fields?: () => object,
  headers?: HeadersInit,
) => Response;

const REFUSALS = {
  404: "no webhook route here: LINE posts to the webhook path itself, or to /<channel> below it for a channel of the config file",
  405: "the webhook takes POST only",
} as const;

/**
 * The webhook as web-standard handlers. Nothing is parsed or stored before the signature checks
 * out, and whatever happens, the answer is logged and counted: no request ends unseen.
 */
export function createWebhookEndpoint(options: WebhookEndpointOptions): WebhookEndpoint {
  const { log } = options;

  const answerer = (started: number): Answer => {
    return (status, body, fields, headers) => {
      const level = status === 200 ? "info" : status >= 500 ? "error" : "warn";
      // Fields are built only when the line is written: at LOG_LEVEL=warn a 200 costs nothing here.
      if (log.isLevelEnabled(level)) {
        const durationMs = Math.round((performance.now() - started) * 100) / 100;
        log[level]({ status, durationMs, ...fields?.() }, "webhook");
      }
      options.onResponse?.(status);
      return reply(status, body, headers);
    };
  };

  const secretOf = (channel: string): string | undefined => {
    if (options.secretOf) return options.secretOf(channel);
    return channel === DEFAULT_CHANNEL ? options.channelSecret : undefined;
  };

  async function receive(
    request: Request,
    channelSecret: string,
    channel: string,
    done: Answer,
  ): Promise<Response> {
    const signature = request.headers.get("x-line-signature");
    if (!signature) return done(401, { error: "missing x-line-signature header" });

    let bytes: Uint8Array;
    try {
      bytes = await readBody(request, options.maxBodyBytes);
    } catch (error) {
      if (error instanceof BodyTooLargeError) return done(413, { error: error.message });
      return done(400, { error: "could not read the request body" });
    }
    // That channel's secret only: a body signed for another channel is not this one's.
    if (!verifySignature(channelSecret, bytes, signature)) {
      return done(401, { error: "invalid x-line-signature" });
    }

    let text: string;
    try {
      text = decoder.decode(bytes);
    } catch {
      return done(400, { error: "body is not valid UTF-8" });
    }
    if (nestsDeeperThan(text, MAX_NESTING_DEPTH)) {
      return done(400, {
        error: `body nests arrays and objects deeper than ${MAX_NESTING_DEPTH} levels`,
      });
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
    if (events.length > options.maxEvents) {
      return done(400, {
        error: `too many events in one request: ${events.length}, at most ${options.maxEvents} (WEBHOOK_MAX_EVENTS)`,
      });
    }
    const now = options.clock.now();
    const received = events.map(
      (raw): ReceivedEvent => ({
        parsed: parseEvent(raw, now, channel),
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
  }

  const endpoint: WebhookEndpoint = {
    async handle(request, channel = DEFAULT_CHANNEL) {
      const channelSecret = secretOf(channel);
      // A path below the webhook's that names no channel (any longer): a mistyped URL, or a
      // channel removed from the config file while LINE still posts to it.
      if (channelSecret === undefined) return endpoint.refuse(request, 404);
      const answer = answerer(performance.now());
      // Every line about it names the channel (as sent, bounded: it is the request's path).
      const named = oneLine(channel).slice(0, 64);
      const done: Answer = (status, body, fields, headers) =>
        answer(status, body, () => ({ channel: named, ...fields?.() }), headers);
      try {
        return await receive(request, channelSecret, channel, done);
      } catch (error) {
        // A bug, not the sender's fault: answered and logged here, never the framework's
        // 500 that would put the error's message in the body and nothing in the log.
        return done(500, { error: "internal error" }, () => ({ err: error }));
      }
    },
    refuse(request, status) {
      const done = answerer(performance.now());
      const { pathname } = new URL(request.url);
      const fields = () => ({ method: request.method, path: oneLine(pathname) });
      if (status === 413) {
        return done(413, { error: `request body exceeds ${options.maxBodyBytes} bytes` }, fields);
      }
      const headers = status === 405 ? { allow: "POST" } : undefined;
      return done(status, { error: REFUSALS[status] }, fields, headers);
    },
  };
  return endpoint;
}
