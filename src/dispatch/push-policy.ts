import type { Clock } from "../core/clock.ts";
import type { PushPolicy } from "../core/push-policy.ts";
import { monthOf, nextMonthStart } from "../line/monthly-limit.ts";
import type { PushGuard } from "../line/proxy-pushes.ts";
import type { Logger } from "../logging/logger.ts";
import type { QuotaStore, SentCount, SentKind } from "../storage/quota.ts";

/** How long reply counts gather in memory before they are written. */
const REPLY_COUNT_FLUSH_MS = 1000;

interface ReplyCount {
  channel: string;
  month: string;
  plugin: string;
  count: number;
}

/** Whom a push through the proxy counts for before its worker has loaded (setup code). */
const LOADING = "(loading)";

/** Why a push was withheld: the plugin's policy, its budget, or LINE's monthly limit. */
export type WithheldReason = "reply-only" | "budget" | "paused";

export type PushVerdict =
  | { go: true }
  /** `drop`: the push is left out and its delivery succeeds; else the push fails for good. */
  | { go: false; drop: boolean; why: WithheldReason; reason: string };

export interface PushGateOptions {
  quota: QuotaStore;
  clock: Clock;
  /** Where LINE's month begins and ends for the channel (`LINE_QUOTA_TIME_ZONE`). */
  timeZone: string;
  policyOf(plugin: string): PushPolicy;
  log: Logger;
  /** Metrics. */
  onSent?(channel: string, plugin: string, kind: SentKind, count: number): void;
  onWithheld?(channel: string, plugin: string, why: WithheldReason): void;
  onMonthlyLimit?(channel: string): void;
}

/**
 * Cost control, keyed by channel: decides whether a plugin's push may go (its `pushPolicy`, its
 * monthly budget, the channel's pause after LINE's monthly limit), counts what went out this
 * month, and pauses the channel's pushes when LINE says the month's messages are used up.
 */
export class PushGate {
  readonly #o: PushGateOptions;
  /** Reply counts not yet written, by channel, month, plugin (see `sent`). */
  readonly #replies = new Map<string, ReplyCount>();
  #flushing: ReturnType<typeof setTimeout> | undefined;
  /** `flush` and `sentIn` take turns, so that a count is read once: in the store or in memory. */
  #turn: Promise<unknown> = Promise.resolve();

  constructor(options: PushGateOptions) {
    this.#o = options;
  }

  /** The month the quota counts now ("YYYY-MM"). */
  month(): string {
    return monthOf(this.#o.clock.now(), this.#o.timeZone);
  }

  /**
   * Whether the plugin may push to `recipients` now. `replyFallback`: these messages were
   * replies that cannot go as a reply (no token, expired, overflow): the policy drops them.
   */
  async check(
    channel: string,
    plugin: string,
    replyFallback: boolean,
    recipients = 1,
  ): Promise<PushVerdict> {
    const { quota, clock } = this.#o;
    const policy = this.#o.policyOf(plugin);
    if (policy === "reply-only") {
      const reason = replyFallback
        ? "pushPolicy is reply-only: a reply that cannot go as a reply is not pushed"
        : "pushPolicy is reply-only: this plugin may not push";
      return this.#withheld(channel, plugin, { drop: replyFallback, why: "reply-only", reason });
    }
    const pause = await quota.pause(channel, clock.now());
    if (pause) {
      const until = new Date(pause.until).toISOString();
      const reason = `pushes paused until ${until} or an operator resumes them: ${pause.reason}`;
      return this.#withheld(channel, plugin, { drop: false, why: "paused", reason });
    }
    if (policy !== "allow") {
      const used = await this.pushedThisMonth(channel, plugin);
      if (used + recipients > policy.monthlyBudget) {
        const reason = `monthly push budget of ${policy.monthlyBudget} reached (${used} pushed this month)`;
        return this.#withheld(channel, plugin, { drop: replyFallback, why: "budget", reason });
      }
    }
    return { go: true };
  }

  /** Pushes the plugin made in the channel this month (as LINE counts: one per recipient). */
  async pushedThisMonth(channel: string, plugin: string): Promise<number> {
    const sent = await this.#o.quota.sent(channel, this.month());
    return sent.find((row) => row.plugin === plugin && row.kind === "push")?.count ?? 0;
  }

  /**
   * Counts messages that went out. Pushes are written at once (durably: the budget survives
   * restarts). Replies are free and only reported: their counts gather in memory and are written
   * once a second and at `flush`, keeping a store write off every reply; a kill loses at most
   * that second's reply counts.
   */
  async sent(channel: string, plugin: string, kind: SentKind, count: number): Promise<void> {
    if (count <= 0) return;
    this.#o.onSent?.(channel, plugin, kind, count);
    const month = this.month();
    if (kind === "push") {
      await this.#o.quota.addSent(channel, month, { plugin, kind, count }, this.#o.clock.now());
      return;
    }
    const key = `${channel}\u0000${month}\u0000${plugin}`;
    const pending = this.#replies.get(key);
    if (pending) pending.count += count;
    else this.#replies.set(key, { channel, month, plugin, count });
    this.#flushing ??= setTimeout(() => void this.flush(), REPLY_COUNT_FLUSH_MS);
  }

  /** Messages sent in the channel in the month, per plugin and kind, the unwritten ones included. */
  sentIn(channel: string, month: string): Promise<SentCount[]> {
    return this.#inTurn(async () => {
      const rows = await this.#o.quota.sent(channel, month);
      for (const pending of this.#replies.values()) {
        if (pending.channel !== channel || pending.month !== month) continue;
        const row = rows.find((r) => r.plugin === pending.plugin && r.kind === "reply");
        if (row) row.count += pending.count;
        else rows.push({ plugin: pending.plugin, kind: "reply", count: pending.count });
      }
      return rows;
    });
  }

  /** Writes the reply counts gathered so far (also at stop). */
  flush(): Promise<void> {
    clearTimeout(this.#flushing);
    this.#flushing = undefined;
    return this.#inTurn(async () => {
      const pending = [...this.#replies.values()];
      this.#replies.clear();
      const now = this.#o.clock.now();
      for (const { channel, month, plugin, count } of pending) {
        await this.#o.quota
          .addSent(channel, month, { plugin, kind: "reply", count }, now)
          .catch((error: unknown) =>
            this.#o.log.error({ err: error, channel }, "counting replies failed"),
          );
      }
    });
  }

  #inTurn<T>(work: () => Promise<T>): Promise<T> {
    const result = this.#turn.then(work);
    this.#turn = result.catch(() => {});
    return result;
  }

  /** LINE refused a push at its monthly limit: the channel's pushes stop until the month ends. */
  async monthlyLimit(channel: string, error: string): Promise<void> {
    const now = this.#o.clock.now();
    const until = nextMonthStart(now, this.#o.timeZone);
    this.#o.onMonthlyLimit?.(channel);
    this.#o.log.error(
      { channel, until: new Date(until).toISOString(), error },
      "LINE's monthly message limit reached: pushes paused until the quota resets or an operator resumes them",
    );
    await this.#o.quota.setPause(channel, {
      reason: `LINE monthly limit: ${error}`,
      pausedAt: now,
      until,
    });
  }

  /** An operator resumes the channel's pushes; resolves with whether they were paused. */
  resume(channel: string): Promise<boolean> {
    this.#o.log.info({ channel }, "pushes resumed by an operator");
    return this.#o.quota.resume(channel);
  }

  /**
   * The same rules for the pushes plugins make through the LINE proxy (`ctx.api`), in the channel
   * each call goes to (`<capability>@<channel>`).
   */
  guard(): PushGuard {
    const failed = (what: string, channel: string) => (error: unknown) =>
      this.#o.log.error({ err: error, channel }, `${what} failed`);
    return {
      // A worker still loading has no name yet: only the channel's pause applies to it.
      refuse: async (channel, plugin, recipients) => {
        const who = plugin ?? LOADING;
        const verdict = await this.check(channel, who, false, Math.max(1, recipients));
        return verdict.go ? undefined : `not sent by hotline: ${verdict.reason}`;
      },
      sent: (channel, plugin, recipients) => {
        void this.sent(channel, plugin ?? LOADING, "push", recipients).catch(
          failed("counting a push", channel),
        );
      },
      monthlyLimit: (channel, _plugin, error) => {
        void this.monthlyLimit(channel, error).catch(failed("pausing pushes", channel));
      },
    };
  }

  #withheld(
    channel: string,
    plugin: string,
    verdict: { drop: boolean; why: WithheldReason; reason: string },
  ): PushVerdict {
    this.#o.onWithheld?.(channel, plugin, verdict.why);
    return { go: false, ...verdict };
  }
}
