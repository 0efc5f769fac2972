import type { Clock } from "../core/clock.ts";
import type { LineClient, Message } from "../line/client.ts";
import { retryKey } from "../line/retry-key.ts";
import type { Logger } from "../logging/logger.ts";
import type { ChatRef } from "../sdk/context.ts";
import type { DeliveryStore } from "../storage/deliveries.ts";
import type { Contribution, FlushResult } from "./reply-batch.ts";

export const MAX_MESSAGES_PER_CALL = 5;
/** LINE's reply tokens live one minute; keep a margin for the call itself. */
export const REPLY_TOKEN_TTL_MS = 50_000;

export interface ReplyTarget {
  eventId: string;
  replyToken: string | undefined;
  standby: boolean;
  receivedAt: number;
  chat: ChatRef | undefined;
  /** Set when an earlier flush (maybe in a process that died) already used the token. */
  replyAttemptedAt: number | null;
}

/**
 * Sends a flushed reply batch: one reply call for the first five messages, pushes for the rest,
 * and push instead of reply when the token is unusable. Implements the exactly-once rule: the
 * attempt is recorded before the call, and a retried attempt rejected as "invalid reply token"
 * counts as delivered, since the first attempt must have used the token.
 */
export class ReplySender {
  constructor(
    private readonly line: LineClient,
    private readonly store: DeliveryStore,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  async flush(target: ReplyTarget, contributions: Contribution[]): Promise<FlushResult> {
    const result: FlushResult = new Map(contributions.map((c) => [c.plugin, undefined]));
    const log = this.log.child({ webhookEventId: target.eventId });
    if (target.standby) {
      log.warn(
        { plugins: contributions.map((c) => c.plugin) },
        "reply dropped: standby events must not be answered",
      );
      return result;
    }
    const tokenUsed = target.replyAttemptedAt !== null;
    const previously = tokenUsed
      ? new Set(
          this.store
            .forEvent(target.eventId)
            .filter((d) => d.replyAttempted)
            .map((d) => d.plugin),
        )
      : new Set<string>();
    const tokenFresh = this.clock.now() - target.receivedAt < REPLY_TOKEN_TTL_MS;

    // Who may still go as a reply: everyone on a fresh token; after a crash, only the plugins
    // whose messages were in the attempt that may or may not have reached LINE.
    const replyable = target.replyToken
      ? contributions.filter((c) => (tokenUsed ? previously.has(c.plugin) : tokenFresh))
      : [];
    // With each plugin's messages, where they start among all it replied to the event in this
    // run: the retry keys of reply pushes follow that position, however the messages came to be
    // pushed (overflow, fallback, or too late for the batch; see the dispatcher).
    const toPush = new Map<string, { messages: Message[]; offset: number }>(
      contributions
        .filter((c) => !replyable.includes(c))
        .map((c) => [c.plugin, { messages: c.messages, offset: 0 }]),
    );
    if (replyable.length === 0) {
      const reason = !target.replyToken
        ? "event has no reply token"
        : tokenUsed
          ? "reply token already used"
          : "reply token expired";
      log.info({ reason, plugins: [...toPush.keys()] }, "replying by push");
    }

    if (replyable.length > 0 && target.replyToken) {
      const batch: Message[] = [];
      const included: string[] = [];
      for (const { plugin, messages } of replyable) {
        const room = MAX_MESSAGES_PER_CALL - batch.length;
        const fits = messages.slice(0, room);
        if (fits.length > 0) {
          batch.push(...fits);
          included.push(plugin);
        }
        const overflow = messages.slice(fits.length);
        if (overflow.length > 0) toPush.set(plugin, { messages: overflow, offset: fits.length });
      }
      await this.store.markReplyAttempted(target.eventId, included, this.clock.now());
      const sent = await this.line.reply(target.replyToken, batch, log);
      if (sent.ok) {
        log.info({ plugins: included, messages: batch.length }, "replied");
      } else if (sent.invalidToken && (tokenUsed || sent.maybeSent)) {
        // An earlier try (before a restart, or one whose answer was lost) used the token.
        log.info(
          { plugins: included },
          "reply already sent by an earlier attempt; not sending again",
        );
      } else if (sent.maybeSent) {
        // LINE may have sent it: a push now could send it twice. The attempt stays on record and
        // these deliveries fail; their retry replies again, and a used token then means "sent".
        log.warn({ plugins: included, error: sent.error }, "reply failed; LINE may have sent it");
        for (const plugin of included) result.set(plugin, `reply failed: ${sent.error}`);
      } else {
        // A definite failure: these messages did not go out as a reply, now or before.
        await this.store.clearReplyAttempted(target.eventId, included, this.clock.now());
        log.warn({ plugins: included, error: sent.error }, "reply failed; falling back to push");
        for (const plugin of included) {
          const own = replyable.find((c) => c.plugin === plugin)?.messages ?? [];
          toPush.set(plugin, { messages: own, offset: 0 });
        }
      }
    }

    for (const [plugin, { messages, offset }] of toPush) {
      const error = await this.pushAll(target, plugin, "reply", messages, undefined, offset);
      if (error !== undefined) result.set(plugin, error);
    }
    return result;
  }

  /**
   * Pushes in chunks of five; each chunk's retry key is stable for (event, plugin, slot, position
   * of its first message), the position counting from `offset`.
   */
  async pushAll(
    target: Pick<ReplyTarget, "eventId" | "chat">,
    plugin: string,
    slot: string,
    messages: Message[],
    to = target.chat?.id,
    offset = 0,
  ): Promise<string | undefined> {
    if (messages.length === 0) return undefined;
    // Every line about this push, the client's retry warnings included, names the event.
    const log = this.log.child({ webhookEventId: target.eventId, plugin });
    if (!to) {
      const error = "cannot push: the event has no chat to push to";
      log.warn(error);
      return error;
    }
    for (let i = 0; i < messages.length; i += MAX_MESSAGES_PER_CALL) {
      const chunk = messages.slice(i, i + MAX_MESSAGES_PER_CALL);
      const key = retryKey(target.eventId, plugin, slot, offset + i);
      const pushed = await this.line.push(to, chunk, key, log);
      if (!pushed.ok) {
        log.warn({ error: pushed.error }, "push failed");
        return `push failed: ${pushed.error}`;
      }
      log.info(
        { messages: chunk.length, duplicate: pushed.duplicate },
        pushed.duplicate ? "push already accepted earlier (409)" : "pushed",
      );
    }
    return undefined;
  }
}
