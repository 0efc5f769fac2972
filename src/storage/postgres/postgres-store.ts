import type { Clock } from "../../core/clock.ts";
import { parseEvent, type ReceivedEvent } from "../../core/parsed-event.ts";
import type { Logger } from "../../logging/logger.ts";
import type {
  Claim,
  ClaimRequest,
  DeadCursor,
  DeadSelector,
  DeliveryKey,
  HistoryQuery,
  InboxRecord,
  ReplyAttempts,
  RoutedEvent,
  Router,
  ScheduleClaimRequest,
  ScheduleQuery,
  ScheduleSpec,
  ScheduleWrite,
  SessionKey,
  SettledDelivery,
  SettledRun,
  SharedChat,
  Store,
  StoredEvent,
  UserProfile,
} from "../store.ts";
import {
  isRace,
  migrateSchema,
  openSql,
  postgresTarget,
  reachable,
  type Sql,
} from "./connection.ts";
import { DeadLetters } from "./dead-letters.ts";
import { PostgresHeldReplies } from "./held-replies.ts";
import { readHistory } from "./history.ts";
import { Instance, WORK_CHANNEL } from "./instance.ts";
import { claimHeads, settleClaimed } from "./lanes.ts";
import { PostgresQuota } from "./quota.ts";
import {
  claimReplyToken,
  clearReplyAttempted,
  markReplyAttempted,
  replyAttempts,
} from "./reply-attempts.ts";
import { PostgresRichMenus } from "./rich-menus.ts";
import { dropPluginDeliveries, routeEvents } from "./routing.ts";
import {
  claimSchedules,
  declareJobs,
  listSchedules,
  pruneSchedules,
  retrySchedules,
  settleSchedules,
  undeferSchedules,
  writeSchedules,
} from "./schedules.ts";
import { pruneSessions, readSessions } from "./sessions.ts";
import { readUser, saveProfile } from "./shared-state.ts";

export interface PostgresStoreOptions {
  databaseUrl: string;
  clock: Clock;
  log: Logger;
  maxAttempts: number;
  /** How long a claim holds without renewal (default 20 s). */
  leaseMs?: number;
  /** How often dead instances are looked for (default 1 s). */
  sweepMs?: number;
  /** How long to wait for the database at start (default 25 s). */
  connectTimeoutMs?: number;
}

interface EventRow {
  seq: number;
  id: string;
  body: string;
  destination: string | null;
  receivedAt: number;
  timestamp: number;
  channel: string;
}

const OPEN = ["pending", "retry", "running"];

/**
 * The Store on PostgreSQL, shared by every instance of one bot: any of them may receive any
 * webhook, claim any due lane head (one running delivery per lane, whichever instance runs it),
 * and take over the deliveries of an instance that died.
 */
export class PostgresStore implements Store {
  readonly richMenus: PostgresRichMenus;
  readonly quota: PostgresQuota;
  readonly held: PostgresHeldReplies;
  readonly #sql: Sql;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #instance: Instance;
  readonly #leaseMs: number;
  readonly #dead: DeadLetters;
  readonly #workListeners = new Set<() => void>();

  private constructor(sql: Sql, options: PostgresStoreOptions) {
    this.#sql = sql;
    this.#clock = options.clock;
    this.#log = options.log;
    this.#leaseMs = options.leaseMs ?? 20_000;
    this.#dead = new DeadLetters(sql);
    this.richMenus = new PostgresRichMenus(sql);
    this.quota = new PostgresQuota(sql);
    this.held = new PostgresHeldReplies(sql);
    this.#instance = new Instance({
      sql,
      log: options.log,
      now: () => options.clock.now(),
      leaseMs: this.#leaseMs,
      sweepMs: options.sweepMs ?? 1000,
      maxAttempts: options.maxAttempts,
      onWork: () => this.#notifyWork(),
    });
  }

  /** Connects (waiting briefly for a database that is starting), migrates, joins the instances. */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const target = postgresTarget(options.databaseUrl);
    const sql = openSql(target, { max: 10 });
    try {
      await reachable(sql, target, options.connectTimeoutMs ?? 25_000);
      await migrateSchema(target);
      const store = new PostgresStore(sql, options);
      await store.#instance.join();
      return store;
    } catch (error) {
      await sql.end({ timeout: 1 }).catch(() => undefined);
      throw error;
    }
  }

  /** This instance's id, as claims and the `instances` table name it. */
  get instanceId(): string {
    return this.#instance.id;
  }

  async ingest(events: ReceivedEvent[], route: Router | undefined): Promise<RoutedEvent[]> {
    if (events.length === 0) return [];
    const receivedAt = this.#clock.now();
    const unique = [...new Map(events.map((event) => [event.parsed.id, event])).values()];
    const routed = await this.#sql.begin(async (tx) => {
      const inserted = await tx<Array<{ seq: number; id: string }>>`
        insert into inbox_events
          (id, channel, chat_key, type, timestamp, received_at, destination, body)
        select * from unnest(
          ${unique.map((e) => e.parsed.id)}::text[],
          ${unique.map((e) => e.parsed.channel)}::text[],
          ${unique.map((e) => e.parsed.chatKey)}::text[],
          ${unique.map((e) => e.parsed.type)}::text[],
          ${unique.map((e) => e.parsed.timestamp)}::bigint[],
          ${unique.map(() => receivedAt)}::bigint[],
          ${unique.map((e) => e.destination ?? null)}::text[],
          ${unique.map((e) => e.body)}::text[])
        on conflict (id) do nothing
        returning seq, id`;
      const seqs = new Map(inserted.map((row) => [row.id, row.seq]));
      const stored: RoutedEvent[] = unique.flatMap((event) => {
        const seq = seqs.get(event.parsed.id);
        if (seq === undefined) return [];
        const { parsed, destination } = event;
        return [{ seq, parsed, destination, receivedAt, plugins: [] }];
      });
      if (route) await routeEvents(tx, stored, route, receivedAt);
      return stored;
    });
    if (routed.some((event) => event.plugins.length > 0)) await this.#announceWork();
    return routed;
  }

  async routePending(route: Router): Promise<RoutedEvent[]> {
    const routed = await this.#sql.begin(async (tx) => {
      const rows = await tx<EventRow[]>`
        select seq, id, body, destination, received_at as "receivedAt", timestamp, channel
        from inbox_events where status = 'pending'
        order by timestamp, seq
        for update skip locked`;
      const events = rows.map((row) => ({ ...this.#fromRow(row), plugins: [] as string[] }));
      await routeEvents(tx, events, route, this.#clock.now());
      return events;
    });
    if (routed.some((event) => event.plugins.length > 0)) await this.#announceWork();
    return routed;
  }

  async readEvent(eventId: string): Promise<StoredEvent | undefined> {
    const [row] = await this.#sql<EventRow[]>`
      select seq, id, body, destination, received_at as "receivedAt", timestamp, channel
      from inbox_events where id = ${eventId}`;
    if (!row) return undefined;
    const open = await this.#sql<Array<{ plugin: string }>>`
      select plugin from deliveries where event_id = ${eventId} and status = any(${OPEN})`;
    return { ...this.#fromRow(row), openPlugins: open.map((d) => d.plugin) };
  }

  async claim(request: ClaimRequest): Promise<Claim> {
    this.#instance.setPlugins(request.plugins);
    const lease = { owner: this.#instance.id, until: request.now + this.#leaseMs };
    let claimed: Awaited<ReturnType<typeof claimHeads>>;
    try {
      claimed = await claimHeads(this.#sql, request, lease);
    } catch (error) {
      // Another instance claimed the same lane head in the same instant (the unique index on
      // running deliveries caught it): nothing was claimed; the next claim sees the lane busy.
      if (!isRace(error)) throw error;
      return { events: [], nextDueAt: request.now };
    }
    const events = claimed.map(({ row, deliveries }) => ({
      event: { ...this.#fromRow(row), openPlugins: deliveries.map((d) => d.plugin) },
      // A reply is attempted only while a delivery runs, and every run leaves it with another
      // attempt counted (settled, or taken over): none counted means none of these replied yet.
      fresh: deliveries.every((delivery) => delivery.attempts === 0),
      deliveries,
    }));
    if (events.length > 0) return { events, nextDueAt: undefined };
    const [next] = await this.#sql<Array<{ at: number | null }>>`
      select min(next_attempt_at) as at from deliveries
      where status in ('pending', 'retry') and next_attempt_at > ${request.now}
        and plugin = any(${[...request.plugins]})`;
    return { events, nextDueAt: next?.at ?? undefined };
  }

  async settle(settled: SettledDelivery[], now: number): Promise<string[]> {
    if (settled.length === 0) return [];
    const { closed, fenced } = await settleClaimed(this.#sql, settled, {
      owner: this.#instance.id,
      now,
    });
    for (const key of fenced) {
      this.#log.warn(
        { webhookEventId: key.eventId, plugin: key.plugin },
        "settlement not recorded: another instance took the delivery over (lease lost)",
      );
    }
    // A lane moved on, or a retry will be due: other instances may claim now.
    await this.#announceWork();
    return closed;
  }

  async undefer(plugin: string): Promise<void> {
    await this.#sql`
      update deliveries set next_attempt_at = 0, deferred = false
      where plugin = ${plugin} and deferred and status in ('pending', 'retry')`;
    await this.#announceWork();
  }

  onWork(listener: () => void): () => void {
    this.#workListeners.add(listener);
    return () => this.#workListeners.delete(listener);
  }

  replyAttempts(eventId: string): Promise<ReplyAttempts> {
    return replyAttempts(this.#sql, eventId);
  }

  markReplyAttempted(eventId: string, plugins: string[], now: number): Promise<void> {
    return markReplyAttempted(this.#sql, eventId, plugins, now);
  }

  claimReplyToken(eventId: string, plugins: string[], now: number): Promise<boolean> {
    return claimReplyToken(this.#sql, eventId, plugins, now);
  }

  clearReplyAttempted(eventId: string, plugins: string[], now: number): Promise<void> {
    return clearReplyAttempted(this.#sql, eventId, plugins, now);
  }

  dropPlugin(plugin: string, reason: string, now: number): Promise<string[]> {
    return dropPluginDeliveries(this.#sql, { self: this.#instance.id, plugin, reason, now });
  }

  async retryDead(selector: DeadSelector, now: number) {
    const revived = await this.#dead.retry(selector, now);
    if (revived.length > 0) await this.#announceWork();
    return revived;
  }

  discardDead(selector: DeadSelector, reason: string, now: number): Promise<DeliveryKey[]> {
    return this.#dead.discard(selector, reason, now);
  }

  listDead(query: { plugin?: string; limit: number; after?: DeadCursor }) {
    return this.#dead.list(query);
  }

  deliveryCounts() {
    return this.#dead.deliveryCounts();
  }

  eventCounts() {
    return this.#dead.eventCounts();
  }

  unsettledByPlugin() {
    return this.#dead.unsettledByPlugin();
  }

  depth() {
    return this.#dead.depth();
  }

  async inboxRecords(ids?: readonly string[]): Promise<InboxRecord[]> {
    const sql = this.#sql;
    const where = ids === undefined ? sql`` : sql`where id = any(${[...ids]})`;
    return sql<InboxRecord[]>`
      select seq, id, chat_key as "chatKey", type, timestamp, received_at as "receivedAt",
        destination, body, status
      from inbox_events ${where} order by seq`;
  }

  history(query: HistoryQuery) {
    return readHistory(this.#sql, query);
  }

  async readChat(chatKey: string): Promise<SharedChat | undefined> {
    const [row] = await this.#sql<SharedChat[]>`
      select chat_key as "chatKey", type, chat_id as "chatId", member,
        joined_at as "joinedAt", left_at as "leftAt"
      from chats where chat_key = ${chatKey}`;
    return row ? { ...row } : undefined;
  }

  deliveriesOf(eventId?: string) {
    return this.#dead.deliveriesOf(eventId);
  }

  readSessions(keys: readonly SessionKey[], now: number) {
    return readSessions(this.#sql, keys, now);
  }

  readUser(userId: string) {
    return readUser(this.#sql, userId);
  }

  async writeSchedules(writes: readonly ScheduleWrite[], now: number): Promise<string[]> {
    const changed = await this.#sql.begin((tx) => writeSchedules(tx, writes, now));
    await this.#announceWork();
    return changed;
  }

  async declareJobs(plugin: string, specs: readonly ScheduleSpec[], now: number): Promise<void> {
    await declareJobs(this.#sql, plugin, specs, now);
    await this.#announceWork();
  }

  claimSchedules(request: ScheduleClaimRequest) {
    const lease = { owner: this.#instance.id, until: request.now + this.#leaseMs };
    return claimSchedules(this.#sql, request, lease);
  }

  async settleSchedules(settled: readonly SettledRun[], now: number): Promise<void> {
    if (settled.length === 0) return;
    const fenced = await settleSchedules(this.#sql, settled, { owner: this.#instance.id, now });
    for (const id of fenced)
      this.#log.warn(
        { schedule: id },
        "schedule run not recorded: replaced, cancelled or taken over meanwhile",
      );
    // Another instance may run what this one wrote, or the next run of a recurring job.
    await this.#announceWork();
  }

  async undeferSchedules(plugin: string, now: number): Promise<void> {
    await undeferSchedules(this.#sql, plugin, now);
    await this.#announceWork();
  }

  listSchedules(query: ScheduleQuery) {
    return listSchedules(this.#sql, query);
  }

  async retrySchedules(ids: readonly string[], now: number): Promise<string[]> {
    const revived = await retrySchedules(this.#sql, ids, now);
    if (revived.length > 0) await this.#announceWork();
    return revived;
  }

  saveProfile(userId: string, profile: UserProfile, now: number) {
    return saveProfile(this.#sql, userId, profile, now);
  }

  /** Idempotent, and gated by a transaction lock so that instances do not all do it at once. */
  async prune(retentionMs: number, now: number) {
    return this.#sql.begin(async (tx) => {
      const [lock] = await tx<Array<{ got: boolean }>>`
        select pg_try_advisory_xact_lock(${PRUNE_LOCK}::bigint) as got`;
      if (!lock?.got) return { events: 0, sessions: 0, schedules: 0 };
      const events = await tx`
        delete from inbox_events e
        where e.status = 'done' and e.done_at < ${now - retentionMs}
          and not exists (
            select 1 from deliveries d where d.event_id = e.id and d.status = 'dead')
        returning e.seq`;
      return {
        events: events.length,
        sessions: await pruneSessions(tx, now),
        schedules: await pruneSchedules(tx, now - retentionMs),
      };
    });
  }

  async check(): Promise<void> {
    await this.#sql`select 1`;
  }

  async close(): Promise<void> {
    await this.#instance.leave();
    await this.#sql.end({ timeout: 5 });
  }

  /** Looks for dead instances and expired leases now, instead of at the next sweep. */
  sweep(): Promise<void> {
    return this.#instance.sweep();
  }

  /** Stops as a crash does: the connections just close; its row and claims stay for the others. */
  async abandon(): Promise<void> {
    this.#instance.stopTimers();
    await this.#sql.end({ timeout: 0 });
  }

  #fromRow(row: EventRow): Omit<StoredEvent, "openPlugins"> {
    return {
      seq: row.seq,
      parsed: parseEvent(JSON.parse(row.body), row.timestamp, row.channel),
      destination: row.destination ?? undefined,
      receivedAt: row.receivedAt,
    };
  }

  /** Wakes the other instances (LISTEN/NOTIFY) and this one. */
  async #announceWork(): Promise<void> {
    await this.#sql`select pg_notify(${WORK_CHANNEL}, '')`.catch(() => undefined);
    this.#notifyWork();
  }

  #notifyWork(): void {
    for (const listener of this.#workListeners) listener();
  }
}

/** Arbitrary, fixed: the transaction lock that keeps pruning to one instance at a time. */
const PRUNE_LOCK = "7523094288207667809";
