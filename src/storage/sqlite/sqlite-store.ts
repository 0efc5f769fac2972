import { sql } from "drizzle-orm";
import type { Clock } from "../../core/clock.ts";
import type { ReceivedEvent } from "../../core/parsed-event.ts";
import type { SqliteHandle } from "../../platform/mod.ts";
import type {
  Claim,
  ClaimRequest,
  DeadCursor,
  DeadSelector,
  HistoryQuery,
  OpenDelivery,
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
  Store,
  StoredEvent,
  UserProfile,
} from "../store.ts";
import { databasePath, openDatabase } from "./database.ts";
import { DeliveryTable } from "./deliveries.ts";
import { SqliteHeldReplies } from "./held-replies.ts";
import { readHistory } from "./history.ts";
import { InboxTable, storedEventOf } from "./inbox.ts";
import { LaneIndex } from "./lane-index.ts";
import { SqliteQuota } from "./quota.ts";
import {
  claimReplyToken,
  markReplyAttempted,
  type ReplyTables,
  readReplyAttempts,
} from "./reply-attempts.ts";
import { SqliteRichMenus } from "./rich-menus.ts";
import { ScheduleTable } from "./schedules.ts";
import { SessionTable } from "./sessions.ts";
import { SharedState } from "./shared-state.ts";
import { eventCounts, inboxDepth } from "./stats.ts";
import { WriteQueue } from "./write-queue.ts";

const OPEN_STATUSES = new Set(["pending", "retry"]);

export interface SqliteStoreOptions {
  /** Events kept parsed in memory while their deliveries are open; a backlog is read back. */
  eventsInMemory?: number;
  writes?: WriteQueue;
}

/** An event with open deliveries, as this process knows it. */
interface CachedEvent {
  stored: StoredEvent;
  /** No reply attempted yet: nothing was sent, for certain. */
  fresh: boolean;
}

/**
 * The Store on one SQLite file in `DATA_DIR`, for one process. Writes on the event path go through
 * the write queue (group commit, WAL fsync off the event loop); the rare ones that cannot wait
 * (operator actions, routing retries) are synchronous IMMEDIATE transactions, durable when they
 * return. Claims are answered from an index of the open deliveries in memory, rebuilt from the
 * database when the store opens: the one process is the only one claiming.
 */
export class SqliteStore implements Store {
  readonly handle: SqliteHandle;
  readonly richMenus: SqliteRichMenus;
  readonly quota: SqliteQuota;
  readonly held: SqliteHeldReplies;
  readonly #clock: Clock;
  readonly #writes: WriteQueue;
  readonly #inbox: InboxTable;
  readonly #deliveries: DeliveryTable;
  readonly #tables: ReplyTables;
  readonly #shared: SharedState;
  readonly #sessions: SessionTable;
  readonly #schedules: ScheduleTable;
  readonly #lanes = new LaneIndex();
  readonly #events = new Map<string, CachedEvent>();
  readonly #eventsInMemory: number;
  readonly #workListeners = new Set<() => void>();

  constructor(handle: SqliteHandle, clock: Clock, options: SqliteStoreOptions = {}) {
    this.handle = handle;
    this.#clock = clock;
    this.#writes = options.writes ?? new WriteQueue(handle.db);
    this.#eventsInMemory = options.eventsInMemory ?? 2_000;
    this.#inbox = new InboxTable(handle.db);
    this.#deliveries = new DeliveryTable(handle.db);
    this.#tables = { inbox: this.#inbox, deliveries: this.#deliveries };
    this.#shared = new SharedState(handle.db);
    this.#sessions = new SessionTable(handle.db);
    this.#schedules = new ScheduleTable(handle.db);
    this.richMenus = new SqliteRichMenus(handle.db, this.#writes);
    this.quota = new SqliteQuota(handle.db, this.#writes);
    this.held = new SqliteHeldReplies(handle.db, this.#writes);
    for (const delivery of this.#deliveries.open()) this.#index(delivery);
    // One process per file: a run still marked running was cut short when the last one died.
    this.#schedules.recoverInterrupted(clock.now());
  }

  /** Opens (creating and migrating) `hotline.db` in the directory; the WAL is fsynced off-loop. */
  static open(
    dataDir: string,
    clock: Clock,
    options: Omit<SqliteStoreOptions, "writes"> = {},
  ): SqliteStore {
    const handle = openDatabase(dataDir);
    try {
      const writes = new WriteQueue(handle.db, { walFile: `${databasePath(dataDir)}-wal` });
      return new SqliteStore(handle, clock, { ...options, writes });
    } catch (error) {
      handle.close();
      throw error;
    }
  }

  ingest(events: ReceivedEvent[], route: Router | undefined): Promise<RoutedEvent[]> {
    if (events.length === 0) return Promise.resolve([]);
    const written = this.#writes.write(() => {
      const receivedAt = this.#clock.now();
      const stored: RoutedEvent[] = [];
      for (const event of events) {
        const seq = this.#inbox.insert(event, receivedAt);
        // Nothing comes back for a duplicate (ON CONFLICT DO NOTHING).
        if (seq === undefined) continue;
        const { parsed, destination } = event;
        stored.push({ seq, parsed, destination, receivedAt, plugins: [] });
      }
      if (route) for (const event of stored) this.#route(event, route, receivedAt);
      return stored;
    });
    // Claimable once durable: nothing is acted on before it would survive a power loss.
    return written.then((stored) => this.#opened(stored, true));
  }

  async routePending(route: Router): Promise<RoutedEvent[]> {
    const pending = this.#inbox.pending();
    if (pending.length === 0) return [];
    const routed = this.#writes.transaction(() => {
      const now = this.#clock.now();
      return pending.map((row) => {
        const event: RoutedEvent = { ...storedEventOf(row), plugins: [] };
        this.#route(event, route, now);
        return event;
      });
    });
    return this.#opened(routed, false);
  }

  async claim({ limit, plugins, now }: ClaimRequest): Promise<Claim> {
    const groups = this.#lanes.claim(limit, plugins, now);
    const events: Claim["events"] = [];
    for (const group of groups) {
      const eventId = (group[0] as { eventId: string }).eventId;
      let read = this.#events.get(eventId);
      if (!read) {
        // Kept while it runs: its settlement needs the chat, and a sibling claimed later the body.
        read = this.#read(eventId);
        if (read) this.#events.set(eventId, read);
      }
      if (!read) {
        // Pruned or deleted under it (it cannot be, while open): settle rather than spin.
        for (const entry of group) this.#lanes.advance(entry);
        continue;
      }
      const deliveries = group.map(({ plugin, attempts }) => ({ eventId, plugin, attempts }));
      // As on PostgreSQL, a rerun is never fresh: the store says what its earlier run attempted.
      const fresh = read.fresh && deliveries.every((delivery) => delivery.attempts === 0);
      events.push({ event: read.stored, fresh, deliveries });
    }
    // With events claimed the dispatcher claims again as they settle: no wake-up time is needed,
    // and looking for one walks every free lane.
    if (events.length > 0) return { events, nextDueAt: undefined };
    return { events, nextDueAt: this.#lanes.nextDueAt(plugins, now) };
  }

  async settle(settled: SettledDelivery[], now: number): Promise<string[]> {
    const written = settled.filter((delivery) => delivery.settlement.status !== "deferred");
    const closed =
      written.length === 0
        ? []
        : await this.#writes.write(() => {
            for (const { settlement, effects, sent, ...key } of written) {
              this.#deliveries.settle(key, settlement, now, sent);
              if (settlement.status === "done" && effects?.sessions)
                this.#sessions.write(effects.sessions, now);
              if (settlement.status === "done" && effects?.schedules)
                this.#schedules.write(effects.schedules, now);
            }
            // Once per event: an event's deliveries often settle in the same batch.
            const events = new Set(written.map((delivery) => delivery.eventId));
            return [...events].filter((eventId) => this.#closeIfSettled(eventId, now));
          });
    for (const { eventId, plugin, settlement } of settled) {
      const chatKey =
        this.#events.get(eventId)?.stored.parsed.chatKey ?? this.#inbox.get(eventId)?.chatKey;
      const entry = { eventId, plugin, chatKey: chatKey ?? `event:${eventId}` };
      if (settlement.status === "retry")
        this.#lanes.postpone(entry, { notBefore: settlement.nextAttemptAt, deferred: false });
      else if (settlement.status === "deferred")
        this.#lanes.postpone(entry, { notBefore: settlement.until, deferred: true });
      else this.#lanes.advance(entry);
    }
    for (const eventId of closed) this.#events.delete(eventId);
    if (written.some(({ effects }) => effects?.schedules?.length)) this.#notifyWork();
    return closed;
  }

  async undefer(plugin: string): Promise<void> {
    this.#lanes.undefer(plugin);
    this.#notifyWork();
  }

  onWork(listener: () => void): () => void {
    this.#workListeners.add(listener);
    return () => this.#workListeners.delete(listener);
  }

  async readEvent(eventId: string): Promise<StoredEvent | undefined> {
    return this.#read(eventId)?.stored;
  }

  /**
   * An event no longer in memory, from the database. Its token is unused for certain when no
   * reply attempt is on record: the attempt is recorded, durably, before LINE is called.
   */
  #read(eventId: string): CachedEvent | undefined {
    const row = this.#inbox.get(eventId);
    if (!row) return undefined;
    const openPlugins = this.#deliveries
      .forEvent(eventId)
      .filter((delivery) => OPEN_STATUSES.has(delivery.status))
      .map((delivery) => delivery.plugin);
    return { stored: { ...storedEventOf(row), openPlugins }, fresh: row.replyAttemptedAt === null };
  }

  async replyAttempts(eventId: string): Promise<ReplyAttempts> {
    return readReplyAttempts(this.#tables, eventId);
  }

  async claimReplyToken(eventId: string, plugins: string[], now: number): Promise<boolean> {
    this.#notFresh(eventId);
    return this.#writes.write(() => claimReplyToken(this.#tables, eventId, plugins, now));
  }

  markReplyAttempted(eventId: string, plugins: string[], now: number): Promise<void> {
    this.#notFresh(eventId);
    return this.#writes.write(() => markReplyAttempted(this.#tables, eventId, plugins, now));
  }

  async clearReplyAttempted(eventId: string, plugins: string[], now: number): Promise<void> {
    if (plugins.length === 0) return;
    await this.#writes.write(() =>
      this.#deliveries.setReplyAttempted(eventId, plugins, false, now),
    );
  }

  async dropPlugin(plugin: string, reason: string, now: number): Promise<string[]> {
    this.#lanes.removePlugin(plugin);
    const closed = this.#writes.transaction(() =>
      this.#deliveries
        .dropPlugin(plugin, reason, now)
        .filter((eventId) => this.#closeIfSettled(eventId, now)),
    );
    for (const eventId of closed) this.#events.delete(eventId);
    return closed;
  }

  async retryDead(selector: DeadSelector, now: number) {
    const revived = this.#writes.transaction(() => {
      const revived = this.#deliveries.reviveDead(selector, now);
      this.#inbox.reopen([...new Set(revived.map((delivery) => delivery.eventId))]);
      return revived;
    });
    for (const delivery of revived) this.#index(delivery);
    if (revived.length > 0) this.#notifyWork();
    return revived;
  }

  async discardDead(selector: DeadSelector, reason: string, now: number) {
    return this.#writes.transaction(() => this.#deliveries.discardDead(selector, reason, now));
  }

  async listDead(query: { plugin?: string; limit: number; after?: DeadCursor }) {
    return this.#deliveries.listDead(query);
  }

  async deliveryCounts() {
    return this.#deliveries.countByStatus();
  }

  async eventCounts() {
    return eventCounts(this.handle.db);
  }

  async unsettledByPlugin() {
    return this.#deliveries.unsettledByPlugin();
  }

  async depth() {
    return inboxDepth(this.handle.db);
  }

  async inboxRecords(ids?: readonly string[]) {
    return this.#inbox.records(ids);
  }

  async history(query: HistoryQuery) {
    return readHistory(this.handle.db, query);
  }

  async readChat(chatKey: string) {
    return this.#shared.readChat(chatKey);
  }

  async deliveriesOf(eventId?: string) {
    return eventId === undefined ? this.#deliveries.all() : this.#deliveries.forEvent(eventId);
  }

  async readSessions(keys: readonly SessionKey[], now: number) {
    return this.#sessions.read(keys, now);
  }

  async readUser(userId: string) {
    return this.#shared.readUser(userId);
  }

  saveProfile(userId: string, profile: UserProfile, now: number): Promise<void> {
    return this.#writes.write(() => this.#shared.saveProfile(this.handle.db, userId, profile, now));
  }

  async writeSchedules(writes: readonly ScheduleWrite[], now: number): Promise<string[]> {
    const changed = await this.#writes.write(() => this.#schedules.write(writes, now));
    this.#notifyWork();
    return changed;
  }

  async declareJobs(plugin: string, specs: readonly ScheduleSpec[], now: number): Promise<void> {
    await this.#writes.write(() => this.#schedules.declare(plugin, specs, now));
    this.#notifyWork();
  }

  async claimSchedules(request: ScheduleClaimRequest) {
    // Asked at every bit of new work: with nothing due, the usual answer, it costs no write.
    const nextDueAt = this.#schedules.nextDue(request);
    if (nextDueAt === undefined || nextDueAt > request.now) return { runs: [], nextDueAt };
    return this.#writes.write(() => this.#schedules.claim(request));
  }

  async settleSchedules(settled: readonly SettledRun[], now: number): Promise<void> {
    if (settled.length === 0) return;
    await this.#writes.write(() => this.#schedules.settle(settled, now));
    if (settled.some((run) => run.schedules?.length)) this.#notifyWork();
  }

  async undeferSchedules(plugin: string, now: number): Promise<void> {
    await this.#writes.write(() => this.#schedules.undefer(plugin, now));
    this.#notifyWork();
  }

  async listSchedules(query: ScheduleQuery) {
    return this.#schedules.list(query);
  }

  async retrySchedules(ids: readonly string[], now: number): Promise<string[]> {
    const revived = await this.#writes.write(() => this.#schedules.retry(ids, now));
    if (revived.length > 0) this.#notifyWork();
    return revived;
  }

  async prune(retentionMs: number, now: number) {
    return this.#writes.transaction(() => ({
      events: this.#inbox.prune(now - retentionMs),
      sessions: this.#sessions.prune(now),
      schedules: this.#schedules.prune(now - retentionMs),
    }));
  }

  async check(): Promise<void> {
    this.handle.db.get(sql`select 1`);
  }

  async close(): Promise<void> {
    await this.#writes.close();
    this.handle.close();
  }

  /** Newly routed events: their deliveries join the lanes, and the events are kept at hand. */
  #opened(routed: RoutedEvent[], fresh: boolean): RoutedEvent[] {
    for (const event of routed) {
      const { parsed, plugins } = event;
      if (plugins.length === 0) continue;
      if (this.#events.size < this.#eventsInMemory) {
        const stored: StoredEvent = { ...event, openPlugins: [...plugins] };
        this.#events.set(parsed.id, { stored, fresh });
      }
      for (const plugin of plugins) {
        const { id: eventId, chatKey, timestamp } = parsed;
        this.#index({
          eventId,
          plugin,
          chatKey,
          timestamp,
          seq: event.seq,
          attempts: 0,
          nextAttemptAt: 0,
        });
      }
    }
    if (routed.some((event) => event.plugins.length > 0)) this.#notifyWork();
    return routed;
  }

  #index(delivery: OpenDelivery): void {
    const { nextAttemptAt, ...entry } = delivery;
    this.#lanes.add({ ...entry, notBefore: nextAttemptAt, deferred: false });
  }

  #notifyWork(): void {
    for (const listener of this.#workListeners) listener();
  }

  /** Inside a write: the delivery rows, the event's status, the shared tables. */
  #route(event: RoutedEvent, route: Router, now: number): void {
    const { parsed } = event;
    event.plugins = route(parsed, event.destination);
    this.#deliveries.create(parsed.id, parsed.channel, event.plugins, now);
    if (event.plugins.length > 0) this.#inbox.markActive(parsed.id);
    else this.#inbox.markDone(parsed.id, now);
    this.#shared.apply(parsed, now);
  }

  #notFresh(eventId: string): void {
    const cached = this.#events.get(eventId);
    if (cached) cached.fresh = false;
  }

  /** Inside a write. */
  #closeIfSettled(eventId: string, now: number): boolean {
    if (this.#deliveries.hasOpen(eventId)) return false;
    this.#inbox.markDone(eventId, now);
    return true;
  }
}
