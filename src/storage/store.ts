/**
 * The Store: everything the host persists, behind one asynchronous interface. The dispatcher, the
 * admin API, metrics and the dev tools talk to it; only its drivers (`sqlite/`) know the tables.
 */
import type { ParsedEvent, ReceivedEvent } from "../core/parsed-event.ts";
import type { SentBatch } from "../core/sent.ts";
import type {
  ScheduleClaim,
  ScheduleClaimRequest,
  ScheduleQuery,
  ScheduleRecord,
  ScheduleSpec,
  ScheduleWrite,
  SettledRun,
} from "./schedules.ts";

export type * from "./schedules.ts";

import type { HeldReplies } from "./held-replies.ts";
import type { QuotaStore } from "./quota.ts";
import type { RichMenuStore } from "./rich-menus.ts";

export type DeliveryStatus = "pending" | "done" | "retry" | "dead" | "dropped";
export type EventStatus = "pending" | "active" | "done";

/** Which plugins an event goes to (the plugin host's routing); `destination` is the bot's id. */
export type Router = (event: ParsedEvent, destination: string | undefined) => string[];

/** A stored event and the plugins it was routed to (their deliveries are open). */
export interface RoutedEvent {
  seq: number;
  parsed: ParsedEvent;
  destination: string | undefined;
  receivedAt: number;
  plugins: string[];
}

/** An event read back from the store: a recovery, or a backlog beyond what memory holds. */
export interface StoredEvent {
  seq: number;
  parsed: ParsedEvent;
  destination: string | undefined;
  receivedAt: number;
  /** Plugins whose deliveries of it are not settled. */
  openPlugins: string[];
}

/** A delivery the store handed to this process to run: its lane is held until it is settled. */
export interface ClaimedDelivery {
  eventId: string;
  plugin: string;
  /** Attempts already made (this run is attempt `attempts + 1`). */
  attempts: number;
}

/** The deliveries of one event claimed together: they share the event's reply. */
export interface ClaimedEvent {
  event: StoredEvent;
  /** No reply attempt on record (one is recorded before LINE is called): its token is unused. */
  fresh: boolean;
  deliveries: ClaimedDelivery[];
}

export interface ClaimRequest {
  /**
   * How many deliveries this process can start now. Whole events are claimed, so a claim may
   * go over it by the deliveries of the last event.
   */
  limit: number;
  /** Only deliveries to these plugins (the ones loaded here). */
  plugins: ReadonlySet<string>;
  now: number;
}

export interface Claim {
  events: ClaimedEvent[];
  /** When the next delivery that is waiting (backoff, deferral) becomes due, if any; none is
   * needed with events claimed (the next claim comes as they settle). */
  nextDueAt: number | undefined;
}

/** An unsettled delivery, with what ordering needs. */
export interface OpenDelivery {
  eventId: string;
  plugin: string;
  attempts: number;
  nextAttemptAt: number;
  chatKey: string;
  timestamp: number;
  seq: number;
}

export interface DeliveryKey {
  eventId: string;
  plugin: string;
}

/** A delivery's record, as tests and the dev tools read it. */
export interface DeliveryRecord extends DeliveryKey {
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  replyAttempted: boolean;
  updatedAt: number;
}

export type Settlement =
  | { status: "done" }
  | { status: "retry"; error: string; nextAttemptAt: number }
  | { status: "dead"; error: string }
  | { status: "dropped"; reason: string }
  /** Not run (plugin paused, restarting): it keeps its place and no attempt is counted. */
  | { status: "deferred"; until: number };

/** How one claimed delivery ended. */
export interface SettledDelivery extends DeliveryKey {
  settlement: Settlement;
  /** What the run changed besides; saved in the same commit, and only when it is done. */
  effects?: DeliveryEffects;
  /** What the run sent to LINE (kept unless recording is off): replaces an earlier run's record. */
  sent?: SentBatch[];
}

/**
 * Whose state a session is: a chat's (key: the chat key), a user's (key: the user id), or a
 * dialog's in progress (key: chat key and user id). Scoped to one plugin. Keys are text
 * without NUL: PostgreSQL text cannot hold it.
 */
export interface SessionKey {
  plugin: string;
  scope: "chat" | "user" | "dialog";
  key: string;
}

/** A session as stored: its value is JSON. */
export interface SessionRecord extends SessionKey {
  value: string;
  /** After this it reads as absent (dialogs time out); null: never. */
  expiresAt: number | null;
}

/** A session a run changed: the new record, or `value: null` to delete it. */
export interface SessionWrite extends SessionKey {
  value: string | null;
  expiresAt: number | null;
}

/** Writes a delivery's run made, kept back until its settlement: a failed run changes nothing. */
export interface DeliveryEffects {
  sessions?: SessionWrite[];
  /** Schedules the run made or cancelled, applied in order. */
  schedules?: ScheduleWrite[];
}

/** A stored event's row. */
export interface InboxRecord {
  seq: number;
  id: string;
  chatKey: string;
  type: string;
  timestamp: number;
  receivedAt: number;
  destination: string | null;
  /** The event as received, re-serialised. */
  body: string;
  status: EventStatus;
}

/** Which stored events a history read selects: all filters optional, oldest first. */
export interface HistoryQuery {
  chatKey?: string;
  eventIds?: readonly string[];
  /** Event timestamps (LINE's), inclusive. */
  since?: number;
  until?: number;
  limit: number;
}

/** One delivery of a stored event, with what it sent (null: nothing recorded). */
export interface HistoryDelivery {
  plugin: string;
  status: DeliveryStatus;
  attempts: number;
  lastError: string | null;
  sent: SentBatch[] | null;
}

/** A stored event and its deliveries: what the admin API shows, replays and fixtures start from. */
export interface HistoryEntry {
  event: InboxRecord;
  deliveries: HistoryDelivery[];
}

/** A row of the shared `chats` table. */
export interface SharedChat {
  chatKey: string;
  type: string;
  chatId: string;
  member: boolean;
  joinedAt: number | null;
  leftAt: number | null;
}

/** Whether an earlier flush (maybe in a process that died) used the event's reply token. */
export interface ReplyAttempts {
  attemptedAt: number | null;
  /** Plugins whose messages were in that attempt. */
  plugins: ReadonlySet<string>;
}

/** Which dead-lettered deliveries an operator means. */
export type DeadSelector = { deliveries: DeliveryKey[] } | { plugin: string } | { all: true };

/** A dead-lettered delivery as the admin API lists it. */
export interface DeadDelivery extends DeliveryKey {
  attempts: number;
  lastError: string | null;
  deadAt: number;
  eventType: string;
  chatKey: string;
  receivedAt: number;
}

/** Where a page of dead letters starts: after this one (newest first). */
export interface DeadCursor extends DeliveryKey {
  deadAt: number;
}

/** A row of the shared `users` table, as plugins read it (`ctx.user`, `ctx.profile`). */
export interface SharedUser {
  userId: string;
  displayName: string | null;
  pictureUrl: string | null;
  statusMessage: string | null;
  language: string | null;
  following: boolean | null;
  followedAt: number | null;
  unfollowedAt: number | null;
  profileFetchedAt: number | null;
}

/** A user's LINE profile, as a plugin fetched it for the profile cache. */
export interface UserProfile {
  displayName: string;
  pictureUrl: string | null;
  statusMessage: string | null;
  language: string | null;
}

export interface InboxDepth {
  /** Events not settled yet: waiting to be routed, or with deliveries still open. */
  open: number;
  /** When the oldest of them was received; undefined when there is none. */
  oldestReceivedAt: number | undefined;
}

export interface Store {
  /** What the host created at LINE for the rich menus plugins declare. */
  readonly richMenus: RichMenuStore;
  /** Messages sent per month and the monthly-limit pause (cost control). */
  readonly quota: QuotaStore;
  /** Late replies waiting for a "tap to see the answer". */
  readonly held: HeldReplies;
  /**
   * Stores a request's events, skipping those already stored (LINE's redeliveries); given a
   * router, routes the new ones in the same commit (their deliveries, the shared users and chats
   * tables). Resolves once durable, with the new events. Rejects when nothing was stored.
   */
  ingest(events: ReceivedEvent[], route: Router | undefined): Promise<RoutedEvent[]>;
  /** Routes what was stored but never routed (stored before start, or a routing that failed). */
  routePending(route: Router): Promise<RoutedEvent[]>;
  readEvent(eventId: string): Promise<StoredEvent | undefined>;

  /**
   * Hands out runnable deliveries: the head of each (chat, plugin) lane that is due and not
   * already running, grouped by event. A lane stays held until its delivery is settled.
   */
  claim(request: ClaimRequest): Promise<Claim>;
  /** Records how claimed deliveries ended, in one write; resolves with the events now settled. */
  settle(settled: SettledDelivery[], now: number): Promise<string[]>;
  /** A plugin can take work again: its deferred deliveries are due now. */
  undefer(plugin: string): Promise<void>;
  /** Calls back when new work may be claimable (stored, retried, undeferred); returns unsubscribe. */
  onWork(listener: () => void): () => void;

  replyAttempts(eventId: string): Promise<ReplyAttempts>;
  /**
   * The first use of the event's reply token, recorded before the call: resolves false, and
   * records nothing, when the token was used already (by another instance, or an earlier flush).
   */
  claimReplyToken(eventId: string, plugins: string[], now: number): Promise<boolean>;
  /** A retried attempt with an already used token: these plugins' messages are in it again. */
  markReplyAttempted(eventId: string, plugins: string[], now: number): Promise<void>;
  /** The call failed for certain: these messages were never sent as a reply. */
  clearReplyAttempted(eventId: string, plugins: string[], now: number): Promise<void>;

  /** Drops every unsettled delivery of a plugin; resolves with the events that became settled. */
  dropPlugin(plugin: string, reason: string, now: number): Promise<string[]>;
  /** Makes dead deliveries pending again with fresh attempts; resolves with them. */
  retryDead(selector: DeadSelector, now: number): Promise<OpenDelivery[]>;
  /** Gives up on dead deliveries for good: dropped, with the operator's reason. */
  discardDead(selector: DeadSelector, reason: string, now: number): Promise<DeliveryKey[]>;
  listDead(query: { plugin?: string; limit: number; after?: DeadCursor }): Promise<DeadDelivery[]>;

  deliveryCounts(): Promise<Record<DeliveryStatus, number>>;
  eventCounts(): Promise<Record<EventStatus, number>>;
  /** Per plugin: its open and dead deliveries. */
  unsettledByPlugin(): Promise<Map<string, { open: number; dead: number }>>;
  depth(): Promise<InboxDepth>;
  deliveriesOf(eventId?: string): Promise<DeliveryRecord[]>;
  /** Stored events as recorded (all, or these ids), oldest first: for operators and tests. */
  inboxRecords(ids?: readonly string[]): Promise<InboxRecord[]>;
  /** Stored events with their deliveries and what they sent, by timestamp (then arrival). */
  history(query: HistoryQuery): Promise<HistoryEntry[]>;
  /** A group or room the bot is or was in (the shared `chats` table). */
  readChat(chatKey: string): Promise<SharedChat | undefined>;

  /** The sessions among these that exist and have not expired at `now`. */
  readSessions(keys: readonly SessionKey[], now: number): Promise<SessionRecord[]>;

  /** The shared `users` row of a user, if the bot has seen them. */
  readUser(userId: string): Promise<SharedUser | undefined>;
  /** Caches a profile in the shared `users` table (`profileFetchedAt` = now). */
  saveProfile(userId: string, profile: UserProfile, now: number): Promise<void>;

  /** Applies schedule writes at once (setup, routes, operators); resolves with the ids changed. */
  writeSchedules(writes: readonly ScheduleWrite[], now: number): Promise<string[]>;
  /**
   * Brings a plugin's declared recurring jobs in line with its loaded version: each is created, or
   * replaced when its definition changed or it was cancelled or done; declared schedules of jobs
   * it no longer declares are deleted. `specs` are all `declared`.
   */
  declareJobs(plugin: string, specs: readonly ScheduleSpec[], now: number): Promise<void>;
  /** Hands out due runs of the jobs that can run here; each stays `running` until settled. */
  claimSchedules(request: ScheduleClaimRequest): Promise<ScheduleClaim>;
  /** Records how claimed runs ended, in one write, each fenced by its revision (and owner). */
  settleSchedules(settled: readonly SettledRun[], now: number): Promise<void>;
  /** A plugin can take work again: its deferred runs are due now. */
  undeferSchedules(plugin: string, now: number): Promise<void>;
  listSchedules(query: ScheduleQuery): Promise<ScheduleRecord[]>;
  /** Dead schedules run again (due now, fresh attempts); resolves with the ids revived. */
  retrySchedules(ids: readonly string[], now: number): Promise<string[]>;

  /**
   * Deletes settled events older than the retention (never one with a dead-lettered delivery:
   * that waits for an operator), expired sessions, and schedules done or cancelled before the
   * retention. Expired plugin state is the plugin state store's to prune.
   */
  prune(
    retentionMs: number,
    now: number,
  ): Promise<{ events: number; sessions: number; schedules: number }>;
  /** Rejects when the database cannot answer (readiness). */
  check(): Promise<void>;
  /** Finishes what is queued, then closes. */
  close(): Promise<void>;
}
