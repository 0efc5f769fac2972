import { sql } from "drizzle-orm";
import type { Clock } from "../../core/clock.ts";
import { parseEvent, type ReceivedEvent } from "../../core/parsed-event.ts";
import type { SqliteHandle } from "../../platform/mod.ts";
import type {
  DeadCursor,
  DeadSelector,
  DeliveryKey,
  ReplyAttempts,
  RoutedEvent,
  Router,
  Settlement,
  Store,
  StoredEvent,
} from "../store.ts";
import { databasePath, openDatabase } from "./database.ts";
import { DeliveryTable } from "./deliveries.ts";
import { type InboxRow, InboxTable } from "./inbox.ts";
import { deleteExpiredKv } from "./maintenance.ts";
import { SharedState } from "./shared-state.ts";
import { eventCounts, inboxDepth } from "./stats.ts";
import { WriteQueue } from "./write-queue.ts";

const OPEN_STATUSES = new Set(["pending", "retry"]);

/**
 * The Store on one SQLite file in `DATA_DIR`. Writes on the event path go through the write queue
 * (group commit, WAL fsync off the event loop); the rare ones that cannot wait (operator actions,
 * routing retries) are synchronous IMMEDIATE transactions, durable when they return.
 */
export class SqliteStore implements Store {
  readonly handle: SqliteHandle;
  readonly #clock: Clock;
  readonly #writes: WriteQueue;
  readonly #inbox: InboxTable;
  readonly #deliveries: DeliveryTable;
  readonly #shared: SharedState;

  constructor(handle: SqliteHandle, clock: Clock, writes: WriteQueue = new WriteQueue(handle.db)) {
    this.handle = handle;
    this.#clock = clock;
    this.#writes = writes;
    this.#inbox = new InboxTable(handle.db);
    this.#deliveries = new DeliveryTable(handle.db);
    this.#shared = new SharedState(handle.db);
  }

  /** Opens (creating and migrating) `hotline.db` in the directory; the WAL is fsynced off-loop. */
  static open(dataDir: string, clock: Clock): SqliteStore {
    const handle = openDatabase(dataDir);
    try {
      const writes = new WriteQueue(handle.db, { walFile: `${databasePath(dataDir)}-wal` });
      return new SqliteStore(handle, clock, writes);
    } catch (error) {
      handle.close();
      throw error;
    }
  }

  ingest(events: ReceivedEvent[], route: Router | undefined): Promise<RoutedEvent[]> {
    if (events.length === 0) return Promise.resolve([]);
    return this.#writes.write(() => {
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
  }

  async routePending(route: Router): Promise<RoutedEvent[]> {
    const pending = this.#inbox.pending();
    if (pending.length === 0) return [];
    return this.#writes.transaction(() => {
      const now = this.#clock.now();
      return pending.map((row) => {
        const routed: RoutedEvent = { ...this.#fromRow(row), plugins: [] };
        this.#route(routed, route, now);
        return routed;
      });
    });
  }

  async openDeliveries() {
    return this.#deliveries.open();
  }

  async readEvent(eventId: string): Promise<StoredEvent | undefined> {
    const row = this.#inbox.get(eventId);
    if (!row) return undefined;
    const openPlugins = this.#deliveries
      .forEvent(eventId)
      .filter((delivery) => OPEN_STATUSES.has(delivery.status))
      .map((delivery) => delivery.plugin);
    return { ...this.#fromRow(row), openPlugins };
  }

  settle(key: DeliveryKey, settlement: Settlement, now: number): Promise<boolean> {
    return this.#writes.write(() => {
      this.#deliveries.settle(key, settlement, now);
      return this.#closeIfSettled(key.eventId, now);
    });
  }

  async replyAttempts(eventId: string): Promise<ReplyAttempts> {
    const attemptedAt = this.#inbox.get(eventId)?.replyAttemptedAt ?? null;
    if (attemptedAt === null) return { attemptedAt, plugins: new Set() };
    const plugins = this.#deliveries
      .forEvent(eventId)
      .filter((delivery) => delivery.replyAttempted)
      .map((delivery) => delivery.plugin);
    return { attemptedAt, plugins: new Set(plugins) };
  }

  markReplyAttempted(eventId: string, plugins: string[], now: number): Promise<void> {
    return this.#writes.write(() => {
      this.#inbox.markReplyAttempted(eventId, now);
      this.#deliveries.setReplyAttempted(eventId, plugins, true, now);
    });
  }

  async clearReplyAttempted(eventId: string, plugins: string[], now: number): Promise<void> {
    if (plugins.length === 0) return;
    await this.#writes.write(() =>
      this.#deliveries.setReplyAttempted(eventId, plugins, false, now),
    );
  }

  async dropPlugin(plugin: string, reason: string, now: number): Promise<string[]> {
    return this.#writes.transaction(() =>
      this.#deliveries
        .dropPlugin(plugin, reason, now)
        .filter((eventId) => this.#closeIfSettled(eventId, now)),
    );
  }

  async retryDead(selector: DeadSelector, now: number) {
    return this.#writes.transaction(() => {
      const revived = this.#deliveries.reviveDead(selector, now);
      this.#inbox.reopen([...new Set(revived.map((delivery) => delivery.eventId))]);
      return revived;
    });
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

  async deliveriesOf(eventId?: string) {
    return eventId === undefined ? this.#deliveries.all() : this.#deliveries.forEvent(eventId);
  }

  async prune(retentionMs: number, now: number) {
    const events = this.#inbox.prune(now - retentionMs);
    const kv = deleteExpiredKv(this.handle.db, now);
    return { events, kv };
  }

  async check(): Promise<void> {
    this.handle.db.get(sql`select 1`);
  }

  async close(): Promise<void> {
    await this.#writes.close();
    this.handle.close();
  }

  /** Inside a write: the delivery rows, the event's status, the shared tables. */
  #route(event: RoutedEvent, route: Router, now: number): void {
    const { parsed } = event;
    event.plugins = route(parsed);
    this.#deliveries.create(parsed.id, event.plugins, now);
    if (event.plugins.length > 0) this.#inbox.markActive(parsed.id);
    else this.#inbox.markDone(parsed.id, now);
    this.#shared.apply(parsed, now);
  }

  #fromRow(row: InboxRow): Omit<StoredEvent, "openPlugins"> {
    return {
      seq: row.seq,
      parsed: parseEvent(JSON.parse(row.body), row.timestamp),
      destination: row.destination ?? undefined,
      receivedAt: row.receivedAt,
    };
  }

  /** Inside a write. */
  #closeIfSettled(eventId: string, now: number): boolean {
    if (this.#deliveries.hasOpen(eventId)) return false;
    this.#inbox.markDone(eventId, now);
    return true;
  }
}
