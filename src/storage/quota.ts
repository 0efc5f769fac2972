/**
 * What cost control keeps durably, per LINE channel: how many messages hotline sent each month
 * (replies and pushes, per plugin), and whether the channel's pushes are paused because LINE
 * answered "You have reached your monthly limit." Both survive restarts; on PostgreSQL every
 * instance shares them.
 */

/** Replies are free; pushes (push and multicast recipients) count against LINE's monthly quota. */
export type SentKind = "reply" | "push";

/** The channel's pushes stop until `until` (the quota's next reset) or an operator resumes them. */
export interface PushPause {
  reason: string;
  pausedAt: number;
  until: number;
}

export interface SentCount {
  plugin: string;
  kind: SentKind;
  count: number;
}

export interface QuotaStore {
  /** The channel's pause, unless it has run out by `now`. */
  pause(channel: string, now: number): Promise<PushPause | undefined>;
  /** Pauses the channel's pushes (replacing a pause there was). */
  setPause(channel: string, pause: PushPause): Promise<void>;
  /** Lifts the pause; resolves with whether there was one. */
  resume(channel: string): Promise<boolean>;
  /** Adds `count` to what the plugin sent in the channel in `month` ("YYYY-MM"). */
  addSent(
    channel: string,
    month: string,
    sent: { plugin: string; kind: SentKind; count: number },
    now: number,
  ): Promise<void>;
  /** What was sent in the channel in `month`, per plugin and kind. */
  sent(channel: string, month: string): Promise<SentCount[]>;
  /** The channels with something sent in `month` or a pause on record. */
  channels(month: string): Promise<string[]>;
}
