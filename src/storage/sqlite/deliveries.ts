import { and, asc, desc, eq, inArray, lt, or, type SQL, sql } from "drizzle-orm";
import type { SentBatch } from "../../core/sent.ts";
import type { SqlDatabase } from "../../platform/mod.ts";
import type {
  DeadCursor,
  DeadDelivery,
  DeadSelector,
  DeliveryKey,
  DeliveryRecord,
  DeliveryStatus,
  OpenDelivery,
  Settlement,
} from "../store.ts";
import { deliveries, inboxEvents } from "./schema.ts";

const OPEN: DeliveryStatus[] = ["pending", "retry"];

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
      .values({
        eventId: param("eventId"),
        plugin: param("plugin"),
        channel: param("channel"),
        updatedAt: param("now"),
      })
      .onConflictDoNothing()
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
        // Null keeps the record: a run that sent nothing, or recording turned off.
        sent: sql`coalesce(${param("sent")}, ${deliveries.sent})`,
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
    forEvent: db
      .select()
      .from(deliveries)
      .where(eq(deliveries.eventId, param("eventId")))
      .prepare(),
    setReplyAttempted: setReplyAttempted(true),
    clearReplyAttempted: setReplyAttempted(false),
  };
}

/**
 * The `deliveries` table: one row per (event, plugin), the record of what ran and how it ended.
 * Methods that write run inside the caller's write or transaction (see `SqliteStore`).
 */
export class DeliveryTable {
  readonly #db: SqlDatabase;
  readonly #statements: ReturnType<typeof prepareStatements>;

  constructor(db: SqlDatabase) {
    this.#db = db;
    this.#statements = prepareStatements(db);
  }

  create(eventId: string, channel: string, plugins: string[], now: number): void {
    for (const plugin of plugins) this.#statements.insert.run({ eventId, plugin, channel, now });
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

  forEvent(eventId: string): DeliveryRecord[] {
    return this.#statements.forEvent.all({ eventId });
  }

  all(): DeliveryRecord[] {
    return this.#db.select().from(deliveries).all();
  }

  hasOpen(eventId: string): boolean {
    return (this.#statements.countOpen.get({ eventId })?.n ?? 0) > 0;
  }

  setReplyAttempted(eventId: string, plugins: string[], attempted: boolean, now: number): void {
    const statement = attempted
      ? this.#statements.setReplyAttempted
      : this.#statements.clearReplyAttempted;
    for (const plugin of plugins) statement.run({ eventId, plugin, now });
  }

  /** Records how a run ended; a deferral is no attempt and writes nothing. */
  settle(
    { eventId, plugin }: DeliveryKey,
    settlement: Settlement,
    now: number,
    sent?: SentBatch[],
  ): void {
    const { settleAttempt, settleDropped } = this.#statements;
    if (settlement.status === "deferred") return;
    // A dropped delivery never ran this time; everything else was one attempt.
    if (settlement.status === "dropped") {
      settleDropped.run({ eventId, plugin, lastError: settlement.reason, now });
      return;
    }
    settleAttempt.run({
      eventId,
      plugin,
      status: settlement.status,
      lastError: settlement.status === "done" ? null : settlement.error,
      nextAttemptAt: settlement.status === "retry" ? settlement.nextAttemptAt : null,
      sent: sent === undefined ? null : JSON.stringify(sent),
      now,
    });
  }

  /** Drops every unsettled delivery of a plugin; returns their events. */
  dropPlugin(plugin: string, reason: string, now: number): string[] {
    return this.#db
      .update(deliveries)
      .set({ status: "dropped", lastError: reason, updatedAt: now })
      .where(and(eq(deliveries.plugin, plugin), inArray(deliveries.status, OPEN)))
      .returning({ eventId: deliveries.eventId })
      .all()
      .map((row) => row.eventId);
  }

  /** Makes dead deliveries pending again with their attempts reset; returns them. */
  reviveDead(selector: DeadSelector, now: number): OpenDelivery[] {
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
    return revived.map((row) => ({ ...row, attempts: 0, nextAttemptAt: 0 }));
  }

  /** Dead deliveries dropped for good, with the operator's reason and the last error. */
  discardDead(selector: DeadSelector, reason: string, now: number): DeliveryKey[] {
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
}
