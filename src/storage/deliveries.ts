import { and, asc, desc, eq, inArray, lt, or, type SQL, sql } from "drizzle-orm";
import type { SqlDatabase } from "../platform/mod.ts";
import { deliveries, inboxEvents } from "./schema.ts";
import { WriteQueue } from "./write-queue.ts";

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

const param = sql.placeholder;
/** A placeholder where drizzle's types want SQL (`set`). */
const bound = (name: string) => sql`${param(name)}`;
const thisDelivery = and(
  eq(deliveries.eventId, param("eventId")),
  eq(deliveries.plugin, param("plugin")),
);

/**
 * The statements every event runs, built once: drizzle would otherwise rebuild (and SQLite
 * recompile) the SQL on each call, which cost more than the writes themselves.
 */
function prepareStatements(db: SqlDatabase) {
  const setReplyAttempted = (attempted: boolean) =>
    db
      .update(deliveries)
      .set({ replyAttempted: attempted, updatedAt: bound("now") })
      .where(thisDelivery)
      .prepare();
  return {
    insert: db
      .insert(deliveries)
      .values({ eventId: param("eventId"), plugin: param("plugin"), updatedAt: param("now") })
      .onConflictDoNothing()
      .prepare(),
    markActive: db
      .update(inboxEvents)
      .set({ status: "active" })
      .where(eq(inboxEvents.id, param("eventId")))
      .prepare(),
    markDone: db
      .update(inboxEvents)
      .set({ status: "done", doneAt: bound("now") })
      .where(eq(inboxEvents.id, param("eventId")))
      .prepare(),
    // One statement for every outcome that was an attempt; `nextAttemptAt` null keeps the old one.
    settleAttempt: db
      .update(deliveries)
      .set({
        status: bound("status"),
        lastError: bound("lastError"),
        updatedAt: bound("now"),
        attempts: sql`${deliveries.attempts} + 1`,
        nextAttemptAt: sql`coalesce(${param("nextAttemptAt")}, ${deliveries.nextAttemptAt})`,
      })
      .where(thisDelivery)
      .prepare(),
    settleDropped: db
      .update(deliveries)
      .set({ status: "dropped", lastError: bound("lastError"), updatedAt: bound("now") })
      .where(thisDelivery)
      .prepare(),
    countOpen: db
      .select({ n: sql<number>`count(*)` })
      .from(deliveries)
      .where(and(eq(deliveries.eventId, param("eventId")), inArray(deliveries.status, OPEN)))
      .prepare(),
    markReplyAttempted: db
      .update(inboxEvents)
      .set({ replyAttemptedAt: bound("now") })
      .where(eq(inboxEvents.id, param("eventId")))
      .prepare(),
    forEvent: db
      .select()
      .from(deliveries)
      .where(eq(deliveries.eventId, param("eventId")))
      .prepare(),
    setReplyAttempted: setReplyAttempted(true),
    clearReplyAttempted: setReplyAttempted(false),
  };
}

/** The deliveries table: one row per (event, plugin), the record of what ran and how it ended. */
export class DeliveryStore {
  readonly #db: SqlDatabase;
  readonly #writes: WriteQueue;
  readonly #statements: ReturnType<typeof prepareStatements>;

  constructor(db: SqlDatabase, writes: WriteQueue = new WriteQueue(db)) {
    this.#db = db;
    this.#writes = writes;
    this.#statements = prepareStatements(db);
  }

  /** A synchronous IMMEDIATE transaction (see `WriteQueue.transaction`). */
  transaction<T>(work: () => T): T {
    return this.#writes.transaction(work);
  }

  /**
   * Creates the event's deliveries and marks it routed (or done, when no plugin wants it). Call
   * inside a transaction of this store's database.
   */
  route(eventId: string, plugins: string[], now: number): void {
    const { insert, markActive, markDone } = this.#statements;
    for (const plugin of plugins) insert.run({ eventId, plugin, now });
    if (plugins.length > 0) markActive.run({ eventId });
    else markDone.run({ eventId, now });
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
    return this.#statements.forEvent.all({ eventId });
  }

  /** Recorded before the reply call: after a crash, a rejected token then means "already sent". */
  markReplyAttempted(eventId: string, plugins: string[], now: number): Promise<void> {
    return this.#writes.write(() => {
      const { markReplyAttempted, setReplyAttempted } = this.#statements;
      markReplyAttempted.run({ eventId, now });
      for (const plugin of plugins) setReplyAttempted.run({ eventId, plugin, now });
    });
  }

  async clearReplyAttempted(eventId: string, plugins: string[], now: number): Promise<void> {
    if (plugins.length === 0) return;
    await this.#writes.write(() => {
      for (const plugin of plugins)
        this.#statements.clearReplyAttempted.run({ eventId, plugin, now });
    });
  }

  /** Records how one delivery ended; returns true when that settled its event. */
  settle(eventId: string, plugin: string, settlement: Settlement, now: number): Promise<boolean> {
    return this.#writes.write(() => {
      const { settleAttempt, settleDropped } = this.#statements;
      // A dropped delivery never ran this time; everything else was one attempt.
      if (settlement.status === "dropped") {
        settleDropped.run({ eventId, plugin, lastError: settlement.reason, now });
      } else {
        settleAttempt.run({
          eventId,
          plugin,
          status: settlement.status,
          lastError: settlement.status === "done" ? null : settlement.error,
          nextAttemptAt: settlement.status === "retry" ? settlement.nextAttemptAt : null,
          now,
        });
      }
      return this.#closeIfSettled(eventId, now);
    });
  }

  /** Drops every unsettled delivery of a plugin; returns the events that became settled. */
  dropPlugin(plugin: string, reason: string, now: number): string[] {
    return this.transaction(() => {
      const dropped = this.#db
        .update(deliveries)
        .set({ status: "dropped", lastError: reason, updatedAt: now })
        .where(and(eq(deliveries.plugin, plugin), inArray(deliveries.status, OPEN)))
        .returning({ eventId: deliveries.eventId })
        .all();
      return dropped
        .map((row) => row.eventId)
        .filter((eventId) => this.#closeIfSettled(eventId, now));
    });
  }

  /**
   * Makes dead deliveries pending again with their attempts reset, and reopens their events;
   * returns them, ready to be scheduled. Deliveries that are not dead are left alone.
   */
  retryDead(selector: DeadSelector, now: number): OpenDelivery[] {
    return this.transaction(() => {
      const where = deadWhere(selector);
      const revived = this.#db
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
      this.#db
        .update(deliveries)
        .set({ status: "pending", attempts: 0, nextAttemptAt: 0, updatedAt: now })
        .where(where)
        .run();
      const eventIds = [...new Set(revived.map((row) => row.eventId))];
      for (let i = 0; i < eventIds.length; i += 500) {
        this.#db
          .update(inboxEvents)
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
    return this.transaction(() =>
      this.#db
        .update(deliveries)
        .set({
          status: "dropped",
          lastError: sql`'discarded: ' || ${reason} || coalesce(' (last error: ' || ${deliveries.lastError} || ')', '')`,
          updatedAt: now,
        })
        .where(deadWhere(selector))
        .returning({ eventId: deliveries.eventId, plugin: deliveries.plugin })
        .all(),
    );
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

  /** Call inside a transaction. */
  #closeIfSettled(eventId: string, now: number): boolean {
    const open = this.#statements.countOpen.get({ eventId });
    if ((open?.n ?? 0) > 0) return false;
    this.#statements.markDone.run({ eventId, now });
    return true;
  }
}
