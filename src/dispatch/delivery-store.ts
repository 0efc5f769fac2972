import { and, asc, desc, eq, inArray, lt, or, type SQL, sql } from "drizzle-orm";
import type { SqlDatabase } from "../platform/mod.ts";
import { deliveries, inboxEvents } from "../storage/schema.ts";

export type DeliveryStatus = (typeof deliveries.$inferSelect)["status"];
const OPEN: DeliveryStatus[] = ["pending", "retry"];

/** An unsettled delivery, with what the scheduler needs to order it. */
export interface OpenDelivery {
  eventId: string;
  plugin: string;
  attempts: number;
  nextAttemptAt: number;
  chatKey: string;
  timestamp: number;
  seq: number;
}

type Tx = Parameters<Parameters<SqlDatabase["transaction"]>[0]>[0];

/** Which dead-lettered deliveries an operator means. */
export type DeadSelector =
  | { deliveries: Array<{ eventId: string; plugin: string }> }
  | { plugin: string }
  | { all: true };

/** A dead-lettered delivery as the admin API lists it. */
export interface DeadDelivery {
  eventId: string;
  plugin: string;
  attempts: number;
  lastError: string | null;
  deadAt: number;
  eventType: string;
  chatKey: string;
  receivedAt: number;
}

/** Where a page of dead letters starts: after this one (newest first). */
export interface DeadCursor {
  deadAt: number;
  eventId: string;
  plugin: string;
}

function deadWhere(selector: DeadSelector): SQL | undefined {
  const dead = eq(deliveries.status, "dead");
  if ("all" in selector) return dead;
  if ("plugin" in selector) return and(dead, eq(deliveries.plugin, selector.plugin));
  return and(
    dead,
    or(
      ...selector.deliveries.map((key) =>
        and(eq(deliveries.eventId, key.eventId), eq(deliveries.plugin, key.plugin)),
      ),
    ),
  );
}

export type Settlement =
  | { status: "done" }
  | { status: "retry"; error: string; nextAttemptAt: number }
  | { status: "dead"; error: string }
  | { status: "dropped"; reason: string };

/** The deliveries table: one row per (event, plugin), the record of what ran and how it ended. */
interface QueuedWrite {
  work(tx: Tx): unknown;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

export class DeliveryStore {
  readonly #db: SqlDatabase;
  #queued: QueuedWrite[] = [];

  constructor(db: SqlDatabase) {
    this.#db = db;
  }

  /**
   * IMMEDIATE: these transactions read before they write, and plugin workers write the same file
   * on their own connections. A deferred transaction would fail its lock upgrade at once with
   * SQLITE_BUSY (busy_timeout does not cover upgrades); taking the write lock up front waits instead.
   */
  transaction<T>(work: (tx: Tx) => T): T {
    return this.#db.transaction(work, { behavior: "immediate" });
  }

  /**
   * Group commit for the writes of running deliveries (settlements, reply marks): everything
   * queued before the next turn of the event loop commits in one transaction, one fsync, and each
   * caller resumes only after that commit, so every record is durable before anyone acts on it.
   * Each write runs in its own savepoint: one that fails rolls back alone.
   */
  #commit<T>(work: (tx: Tx) => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queued.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (this.#queued.length === 1) setImmediate(() => this.#flush());
    });
  }

  #flush(): void {
    const batch = this.#queued;
    this.#queued = [];
    const outcomes: Array<{ value: unknown } | { error: unknown }> = [];
    try {
      this.transaction((tx) => {
        for (const { work } of batch) {
          try {
            outcomes.push({ value: tx.transaction((savepoint) => work(savepoint)) });
          } catch (error) {
            outcomes.push({ error });
          }
        }
      });
    } catch (error) {
      for (const { reject } of batch) reject(error);
      return;
    }
    batch.forEach(({ resolve, reject }, i) => {
      const outcome = outcomes[i];
      if (outcome && "value" in outcome) resolve(outcome.value);
      else reject(outcome?.error);
    });
  }

  /** Creates the event's deliveries and marks it routed (or done, when no plugin wants it). */
  route(tx: Tx, eventId: string, plugins: string[], now: number): void {
    if (plugins.length > 0) {
      tx.insert(deliveries)
        .values(plugins.map((plugin) => ({ eventId, plugin, updatedAt: now })))
        .onConflictDoNothing()
        .run();
    }
    tx.update(inboxEvents)
      .set(plugins.length > 0 ? { status: "active" } : { status: "done", doneAt: now })
      .where(eq(inboxEvents.id, eventId))
      .run();
  }

  open(): OpenDelivery[] {
    return this.#db
      .select({
        eventId: deliveries.eventId,
        plugin: deliveries.plugin,
        attempts: deliveries.attempts,
        nextAttemptAt: deliveries.nextAttemptAt,
        chatKey: inboxEvents.chatKey,
        timestamp: inboxEvents.timestamp,
        seq: inboxEvents.seq,
      })
      .from(deliveries)
      .innerJoin(inboxEvents, eq(inboxEvents.id, deliveries.eventId))
      .where(inArray(deliveries.status, OPEN))
      .orderBy(asc(inboxEvents.timestamp), asc(inboxEvents.seq))
      .all();
  }

  get(eventId: string, plugin: string) {
    return this.#db
      .select()
      .from(deliveries)
      .where(and(eq(deliveries.eventId, eventId), eq(deliveries.plugin, plugin)))
      .get();
  }

  forEvent(eventId: string) {
    return this.#db.select().from(deliveries).where(eq(deliveries.eventId, eventId)).all();
  }

  /** Recorded before the reply call: after a crash, a rejected token then means "already sent". */
  markReplyAttempted(eventId: string, plugins: string[], now: number): Promise<void> {
    return this.#commit((tx) => {
      tx.update(inboxEvents)
        .set({ replyAttemptedAt: now })
        .where(eq(inboxEvents.id, eventId))
        .run();
      if (plugins.length > 0) {
        tx.update(deliveries)
          .set({ replyAttempted: true, updatedAt: now })
          .where(and(eq(deliveries.eventId, eventId), inArray(deliveries.plugin, plugins)))
          .run();
      }
    });
  }

  async clearReplyAttempted(eventId: string, plugins: string[], now: number): Promise<void> {
    if (plugins.length === 0) return;
    await this.#commit((tx) =>
      tx
        .update(deliveries)
        .set({ replyAttempted: false, updatedAt: now })
        .where(and(eq(deliveries.eventId, eventId), inArray(deliveries.plugin, plugins)))
        .run(),
    );
  }

  /** Records how one delivery ended; returns true when that settled its event. */
  settle(eventId: string, plugin: string, settlement: Settlement, now: number): Promise<boolean> {
    return this.#commit((tx) => {
      const lastError =
        settlement.status === "done"
          ? null
          : settlement.status === "dropped"
            ? settlement.reason
            : settlement.error;
      tx.update(deliveries)
        .set({
          status: settlement.status,
          lastError,
          updatedAt: now,
          // A dropped delivery never ran this time; everything else was one attempt.
          ...(settlement.status === "dropped" ? {} : { attempts: sql`${deliveries.attempts} + 1` }),
          ...(settlement.status === "retry" ? { nextAttemptAt: settlement.nextAttemptAt } : {}),
        })
        .where(and(eq(deliveries.eventId, eventId), eq(deliveries.plugin, plugin)))
        .run();
      return this.#closeIfSettled(tx, eventId, now);
    });
  }

  /** Drops every unsettled delivery of a plugin; returns the events that became settled. */
  dropPlugin(plugin: string, reason: string, now: number): string[] {
    return this.transaction((tx) => {
      const dropped = tx
        .update(deliveries)
        .set({ status: "dropped", lastError: reason, updatedAt: now })
        .where(and(eq(deliveries.plugin, plugin), inArray(deliveries.status, OPEN)))
        .returning({ eventId: deliveries.eventId })
        .all();
      return dropped
        .map((row) => row.eventId)
        .filter((eventId) => this.#closeIfSettled(tx, eventId, now));
    });
  }

  /**
   * Makes dead deliveries pending again with their attempts reset, and reopens their events;
   * returns them, ready to be scheduled. Deliveries that are not dead are left alone.
   */
  retryDead(selector: DeadSelector, now: number): OpenDelivery[] {
    return this.transaction((tx) => {
      const where = deadWhere(selector);
      const revived = tx
        .select({
          eventId: deliveries.eventId,
          plugin: deliveries.plugin,
          chatKey: inboxEvents.chatKey,
          timestamp: inboxEvents.timestamp,
          seq: inboxEvents.seq,
        })
        .from(deliveries)
        .innerJoin(inboxEvents, eq(inboxEvents.id, deliveries.eventId))
        .where(where)
        .all();
      if (revived.length === 0) return [];
      tx.update(deliveries)
        .set({ status: "pending", attempts: 0, nextAttemptAt: 0, updatedAt: now })
        .where(where)
        .run();
      const eventIds = [...new Set(revived.map((row) => row.eventId))];
      for (let i = 0; i < eventIds.length; i += 500) {
        tx.update(inboxEvents)
          .set({ status: "active", doneAt: null })
          .where(inArray(inboxEvents.id, eventIds.slice(i, i + 500)))
          .run();
      }
      return revived.map((row) => ({ ...row, attempts: 0, nextAttemptAt: 0 }));
    });
  }

  /** Gives up on dead deliveries for good: dropped, with the operator's reason and the last error. */
  discardDead(
    selector: DeadSelector,
    reason: string,
    now: number,
  ): Array<{ eventId: string; plugin: string }> {
    return this.#db
      .update(deliveries)
      .set({
        status: "dropped",
        lastError: sql`'discarded: ' || ${reason} || coalesce(' (last error: ' || ${deliveries.lastError} || ')', '')`,
        updatedAt: now,
      })
      .where(deadWhere(selector))
      .returning({ eventId: deliveries.eventId, plugin: deliveries.plugin })
      .all();
  }

  /** Dead letters, newest first, a page at a time. */
  listDead(options: { plugin?: string; limit: number; after?: DeadCursor }): DeadDelivery[] {
    const { after } = options;
    return this.#db
      .select({
        eventId: deliveries.eventId,
        plugin: deliveries.plugin,
        attempts: deliveries.attempts,
        lastError: deliveries.lastError,
        deadAt: deliveries.updatedAt,
        eventType: inboxEvents.type,
        chatKey: inboxEvents.chatKey,
        receivedAt: inboxEvents.receivedAt,
      })
      .from(deliveries)
      .innerJoin(inboxEvents, eq(inboxEvents.id, deliveries.eventId))
      .where(
        and(
          eq(deliveries.status, "dead"),
          options.plugin === undefined ? undefined : eq(deliveries.plugin, options.plugin),
          after === undefined
            ? undefined
            : or(
                lt(deliveries.updatedAt, after.deadAt),
                and(eq(deliveries.updatedAt, after.deadAt), lt(deliveries.eventId, after.eventId)),
                and(
                  eq(deliveries.updatedAt, after.deadAt),
                  eq(deliveries.eventId, after.eventId),
                  lt(deliveries.plugin, after.plugin),
                ),
              ),
        ),
      )
      .orderBy(desc(deliveries.updatedAt), desc(deliveries.eventId), desc(deliveries.plugin))
      .limit(options.limit)
      .all();
  }

  /** Deliveries per status (covered by the status index). */
  countByStatus(): Record<DeliveryStatus, number> {
    const counts: Record<DeliveryStatus, number> = {
      pending: 0,
      retry: 0,
      done: 0,
      dead: 0,
      dropped: 0,
    };
    const rows = this.#db
      .select({ status: deliveries.status, n: sql<number>`count(*)` })
      .from(deliveries)
      .groupBy(deliveries.status)
      .all();
    for (const row of rows) counts[row.status] = row.n;
    return counts;
  }

  /** Per plugin: its open and dead deliveries (the status index finds them). */
  unsettledByPlugin(): Map<string, { open: number; dead: number }> {
    const rows = this.#db
      .select({ plugin: deliveries.plugin, status: deliveries.status, n: sql<number>`count(*)` })
      .from(deliveries)
      .where(inArray(deliveries.status, ["pending", "retry", "dead"]))
      .groupBy(deliveries.plugin, deliveries.status)
      .all();
    const byPlugin = new Map<string, { open: number; dead: number }>();
    for (const row of rows) {
      const counts = byPlugin.get(row.plugin) ?? { open: 0, dead: 0 };
      if (row.status === "dead") counts.dead += row.n;
      else counts.open += row.n;
      byPlugin.set(row.plugin, counts);
    }
    return byPlugin;
  }

  #closeIfSettled(tx: Tx, eventId: string, now: number): boolean {
    const open = tx
      .select({ n: sql<number>`count(*)` })
      .from(deliveries)
      .where(and(eq(deliveries.eventId, eventId), inArray(deliveries.status, OPEN)))
      .get();
    if ((open?.n ?? 0) > 0) return false;
    tx.update(inboxEvents)
      .set({ status: "done", doneAt: now })
      .where(eq(inboxEvents.id, eventId))
      .run();
    return true;
  }
}
