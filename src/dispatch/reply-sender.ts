import { DEFAULT_CHANNEL } from "../core/channel.ts";
import type { Clock } from "../core/clock.ts";
import type { Message } from "../core/message.ts";
import type { ChatRef } from "../core/sources.ts";
import type { LineClient } from "../line/client.ts";
import { retryKey } from "../line/retry-key.ts";
import { InvalidMessageError, messageViolations, recipientViolations } from "../line/validate.ts";
import type { Logger } from "../logging/logger.ts";
import type { Store } from "../storage/store.ts";
import type { PushGate } from "./push-policy.ts";
import type { Contribution, FlushResult } from "./reply-batch.ts";
import { isPermanent } from "./types.ts";

export const MAX_MESSAGES_PER_CALL = 5;
/** LINE's reply tokens live one minute; keep a margin for the call itself. */
export const REPLY_TOKEN_TTL_MS = 50_000;

/** The client of each channel the runtime serves (`ChannelSet`). */
export interface LineClients {
  client(channel: string): LineClient;
}

export interface ReplyTarget {
  /** The channel the event came to: its token answers it. */
  channel: string;
  eventId: string;
  replyToken: string | undefined;
  standby: boolean;
  receivedAt: number;
  chat: ChatRef | undefined;
  /**
   * No reply was attempted for the event, for certain (none on record when it was claimed, and
   * nothing flushed since). Otherwise the store says what an earlier flush (maybe before a crash)
   * attempted.
   */
  fresh: boolean;
}

/** A push that did not go out: the delivery that made it fails (and its retry pushes again). */
export class PushError extends Error {
  override name = "PushError";
}

export interface PushRequest {
  /** The channel to push with; default: the default channel. */
  channel?: string;
  /** The event the push is for; none for a push made outside any event. */
  eventId: string | undefined;
  /**
   * Outside an event, the job run the push is for (`<schedule>@<revision>/<run time>`): its
   * retry keys derive from it as an event's derive from the event.
   */
  run?: string;
  plugin: string;
  /** Which of the plugin's pushes for the event this is (`reply`, `push:0`…): part of the key. */
  slot: string;
  to: string | undefined;
  messages: Message[];
  /** Where these messages start among all the plugin sent in this slot (see `flush`). */
  offset?: number;
}

/**
 * Sends a flushed reply batch: one reply call for the first five messages, pushes for the rest,
 * and push instead of reply when the token is unusable. Implements the exactly-once rule: the
 * attempt is recorded before the call, and a retried attempt rejected as "invalid reply token"
 * counts as delivered, since the first attempt must have used the token.
 */
export class ReplySender {
  constructor(
    private readonly lines: LineClients,
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly log: Logger,
    /** Cost control: push policies, budgets, the monthly-limit pause, counts. None: all go. */
    private readonly gate?: PushGate,
  ) {}

  async flush(target: ReplyTarget, all: Contribution[]): Promise<FlushResult> {
    const result: FlushResult = new Map(all.map((c) => [c.plugin, undefined]));
    const log = this.log.child({ webhookEventId: target.eventId });
    if (target.standby) {
      log.warn(
        { plugins: all.map((c) => c.plugin) },
        "reply dropped: standby events must not be answered",
      );
      return result;
    }
    try {
      this.lines.client(target.channel);
    } catch (error) {
      // Its channel was removed while it waited: nothing can answer it (its retries may, if the
      // channel comes back).
      const message = (error as Error).message;
      log.warn({ channel: target.channel }, `reply not sent: ${message}`);
      for (const { plugin } of all) result.set(plugin, { error: message });
      return result;
    }
    // What LINE would refuse never reaches it; the others' messages still go.
    const contributions = all.filter(({ plugin, messages }) => {
      const refused = this.#refusal(plugin, messages, log);
      if (refused !== undefined) result.set(plugin, { error: refused.message, permanent: true });
      return refused === undefined;
    });
    if (contributions.length === 0) return result;
    const earlier = target.fresh ? undefined : await this.store.replyAttempts(target.eventId);
    const tokenUsed = earlier !== undefined && earlier.attemptedAt !== null;
    const tokenFresh = this.clock.now() - target.receivedAt < REPLY_TOKEN_TTL_MS;

    // Who may still go as a reply: everyone on a fresh token; after a crash, only the plugins
    // whose messages were in the attempt that may or may not have reached LINE.
    const replyable = target.replyToken
      ? contributions.filter((c) => (tokenUsed ? earlier.plugins.has(c.plugin) : tokenFresh))
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
      const failures = await this.#reply(target, replyable, toPush, tokenUsed, log);
      for (const [plugin, error] of failures) result.set(plugin, { error });
    }

    for (const [plugin, { messages, offset }] of toPush) {
      try {
        await this.push({
          channel: target.channel,
          eventId: target.eventId,
          plugin,
          slot: "reply",
          to: target.chat?.id,
          messages,
          offset,
        });
      } catch (error) {
        const permanent = isPermanent(error);
        result.set(plugin, {
          error: (error as Error).message,
          ...(permanent ? { permanent } : {}),
        });
      }
    }
    return result;
  }

  /** The reply call; overflow and definite failures join `toPush`. Returns who failed, and why. */
  async #reply(
    target: ReplyTarget,
    replyable: Contribution[],
    toPush: Map<string, { messages: Message[]; offset: number }>,
    tokenUsed: boolean,
    log: Logger,
  ): Promise<Map<string, string>> {
    const line = this.lines.client(target.channel);
    const failures = new Map<string, string>();
    const batch: Message[] = [];
    const included: string[] = [];
    for (const { plugin, messages } of replyable) {
      const fits = messages.slice(0, MAX_MESSAGES_PER_CALL - batch.length);
      if (fits.length > 0) {
        batch.push(...fits);
        included.push(plugin);
      }
      const overflow = messages.slice(fits.length);
      if (overflow.length > 0) toPush.set(plugin, { messages: overflow, offset: fits.length });
    }
    const now = this.clock.now();
    if (tokenUsed) await this.store.markReplyAttempted(target.eventId, included, now);
    else if (!(await this.store.claimReplyToken(target.eventId, included, now))) {
      // Another instance (or an earlier flush) took the token meanwhile: these go by push.
      log.info({ plugins: included }, "reply token taken meanwhile; replying by push");
      for (const plugin of included) {
        const own = replyable.find((c) => c.plugin === plugin)?.messages ?? [];
        toPush.set(plugin, { messages: own, offset: 0 });
      }
      return failures;
    }
    const sent = await line.reply(target.replyToken as string, batch, log);
    if (sent.ok) {
      log.info({ plugins: included, messages: batch.length }, "replied");
      for (const plugin of included) await this.#count(target.channel, plugin, "reply", log);
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
      for (const plugin of included) failures.set(plugin, `reply failed: ${sent.error}`);
    } else {
      // A definite failure: these messages did not go out as a reply, now or before.
      await this.store.clearReplyAttempted(target.eventId, included, this.clock.now());
      log.warn({ plugins: included, error: sent.error }, "reply failed; falling back to push");
      for (const plugin of included) {
        const own = replyable.find((c) => c.plugin === plugin)?.messages ?? [];
        toPush.set(plugin, { messages: own, offset: 0 });
      }
    }
    return failures;
  }

  /**
   * A reply too late for its event's batch: pushed (keyed by its position, see `flush`), except
   * the first reply of a rerun whose earlier run had this plugin's messages in a reply attempt on
   * the token (before a crash, a takeover, or a failure after the batch went). Pushed, those would
   * reach LINE twice: a reply leaves no retry key for LINE to refuse the push by. They go as that
   * reply again instead, as the rerun's batch would have sent them, where a token found used means
   * "sent" (the exactly-once rule). Throws as `push` does.
   */
  async late(target: ReplyTarget, request: PushRequest): Promise<void> {
    const { eventId, plugin, messages, offset = 0 } = request;
    if (offset === 0 && !target.fresh && target.replyToken && eventId === target.eventId) {
      const earlier = await this.store.replyAttempts(eventId);
      if (earlier.plugins.has(plugin)) {
        const failure = (await this.flush(target, [{ plugin, messages }])).get(plugin);
        const permanent = failure?.permanent === true;
        if (failure) throw Object.assign(new PushError(failure.error), { permanent });
        return;
      }
    }
    await this.push(request);
  }

  /**
   * Whether the gate lets the next chunk go: false when the policy drops it (logged with why, and
   * the delivery succeeds without it); throws a permanent PushError when the push must fail.
   */
  async #mayPush(
    channel: string,
    plugin: string,
    replyFallback: boolean,
    left: number,
    log: Logger,
  ): Promise<boolean> {
    const verdict = await this.gate?.check(channel, plugin, replyFallback);
    if (verdict === undefined || verdict.go) return true;
    if (!verdict.drop) {
      log.warn({ reason: verdict.reason }, "push refused");
      throw permanentPushError(`push refused: ${verdict.reason}`);
    }
    log.warn({ reason: verdict.reason, messages: left }, "reply dropped: not pushed");
    return false;
  }

  /** Counts what went out; a failure to count is logged, never the send's failure. */
  async #count(
    channel: string,
    plugin: string,
    kind: "reply" | "push",
    log: Logger,
  ): Promise<void> {
    try {
      await this.gate?.sent(channel, plugin, kind, 1);
    } catch (error) {
      log.error({ err: error, kind }, "counting a sent message failed");
    }
  }

  /** The messages (or the push's recipient) break LINE's rules: logged, and the error to fail with. */
  #refusal(
    plugin: string,
    messages: Message[],
    log: Logger,
    to?: string,
  ): InvalidMessageError | undefined {
    const violations = [
      ...(to === undefined ? [] : recipientViolations(to)),
      ...messageViolations(messages),
    ];
    if (violations.length === 0) return undefined;
    const error = new InvalidMessageError(violations, plugin);
    log.error({ plugin, violations }, `not sent: ${error.message}`);
    return error;
  }

  /**
   * Pushes in chunks of five; each chunk's retry key is stable for (event or job run, plugin,
   * slot, position of its first message). A push outside both has nothing stable to key it by: its
   * key is fresh per call, which still makes the client's own retries of it safe. Throws a
   * PushError.
   */
  async push(request: PushRequest): Promise<void> {
    const { eventId, plugin, slot, to, messages, offset = 0 } = request;
    if (messages.length === 0) return;
    // Every line about this push, the client's retry warnings included, names the event.
    const log = this.log.child(
      eventId !== undefined
        ? { webhookEventId: eventId, plugin }
        : request.run !== undefined
          ? { scheduleRun: request.run, plugin }
          : { plugin },
    );
    if (!to) {
      const error = "cannot push: the event has no chat to push to";
      log.warn(error);
      throw new PushError(error);
    }
    const refused = this.#refusal(plugin, messages, log, to);
    if (refused !== undefined) throw refused;
    const channel = request.channel ?? DEFAULT_CHANNEL;
    const keyBase = eventId ?? request.run ?? crypto.randomUUID();
    let line: LineClient;
    try {
      line = this.lines.client(channel);
    } catch (error) {
      log.warn({ channel: request.channel }, "push failed: no such channel");
      throw new PushError(`push failed: ${(error as Error).message}`);
    }
    for (let i = 0; i < messages.length; i += MAX_MESSAGES_PER_CALL) {
      const chunk = messages.slice(i, i + MAX_MESSAGES_PER_CALL);
      if (!(await this.#mayPush(channel, plugin, slot === "reply", messages.length - i, log)))
        return;
      const key = retryKey(keyBase, plugin, slot, offset + i);
      const pushed = await line.push(to, chunk, key, log);
      if (!pushed.ok && pushed.monthlyLimit) {
        await this.gate?.monthlyLimit(channel, pushed.error);
        throw permanentPushError(
          `push failed: LINE's monthly limit reached, pushes paused: ${pushed.error}`,
        );
      }
      if (!pushed.ok) {
        log.warn({ error: pushed.error }, "push failed");
        throw new PushError(`push failed: ${pushed.error}`);
      }
      if (!pushed.duplicate) await this.#count(channel, plugin, "push", log);
      log.info(
        { messages: chunk.length, duplicate: pushed.duplicate },
        pushed.duplicate ? "push already accepted earlier (409)" : "pushed",
      );
    }
  }
}

/** A push no retry can send (a policy, LINE's monthly limit): its delivery is dead-lettered. */
function permanentPushError(message: string): PushError {
  return Object.assign(new PushError(message), { permanent: true });
}
