import { and, asc, eq, gt, inArray, lte, min, notInArray, type SQL, sql } from "drizzle-orm";
import type { SqlDatabase } from "../../platform/mod.ts";
import type {
  RunSettlement,
  ScheduleClaimRequest,
  ScheduleQuery,
  ScheduleRecord,
  ScheduleSpec,
  ScheduleStatus,
  ScheduleWrite,
  SettledRun,
} from "../schedules.ts";
import { needsDeclaring } from "../schedules.ts";
import { schedules } from "./schema.ts";

type Row = typeof schedules.$inferSelect;

const CANCELLABLE: ScheduleStatus[] = ["scheduled", "running", "dead"];
const FINISHED: ScheduleStatus[] = ["done", "cancelled"];

function toRecord(row: Row): ScheduleRecord {
  return {
    id: row.id,
    plugin: row.plugin,
    job: row.name,
    payload: row.payload,
    cron: row.cron,
    timeZone: row.timeZone,
    everyMs: row.everyMs,
    nextRunAt: row.nextRunAt,
    runAt: row.runAt,
    status: row.status as ScheduleStatus,
    attempts: row.attempts,
    lastError: row.lastError,
    revision: row.revision,
    declared: row.declared,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** Columns a put sets, on insert and on replace alike. */
function specColumns(spec: ScheduleSpec, now: number) {
  return {
    plugin: spec.plugin,
    name: spec.job,
    payload: spec.payload,
    cron: spec.cron,
    timeZone: spec.timeZone,
    everyMs: spec.everyMs,
    nextRunAt: spec.nextRunAt,
    runAt: spec.nextRunAt,
    declared: spec.declared,
    status: "scheduled",
    attempts: 0,
    lastError: null,
    owner: null,
    leaseUntil: null,
    deferred: false,
    updatedAt: now,
  };
}

/** The loaded (plugin, job) pairs, as SQL: only their schedules are claimed here. */
function runnable(jobs: ScheduleClaimRequest["jobs"]): SQL {
  const pairs = [...jobs].flatMap(([plugin, names]) => [...names].map((name) => [plugin, name]));
  return sql`(${schedules.plugin}, ${schedules.name}) in (select value ->> 0, value ->> 1 from json_each(${JSON.stringify(pairs)}))`;
}

/**
 * Schedules in `hotline.db`, for the one process on it: a claim needs no lease, and a run still
 * `running` when the store opens was cut short by a crash (it runs again, as an interrupted
 * delivery does, without counting an attempt). Writes run inside the store's write queue.
 */
export class ScheduleTable {
  readonly #db: SqlDatabase;

  constructor(db: SqlDatabase) {
    this.#db = db;
  }

  /** At open: runs a crash interrupted are due at once. */
  recoverInterrupted(now: number): number {
    return this.#db
      .update(schedules)
      .set({ status: "scheduled", nextRunAt: now, owner: null, updatedAt: now })
      .where(eq(schedules.status, "running"))
      .returning({ id: schedules.id })
      .all().length;
  }

  write(writes: readonly ScheduleWrite[], now: number): string[] {
    return writes.flatMap((write) =>
      "put" in write ? [this.#put(write.put, now)] : this.#cancel(write.cancel, now),
    );
  }

  #put(spec: ScheduleSpec, now: number): string {
    const columns = specColumns(spec, now);
    this.#db
      .insert(schedules)
      .values({ id: spec.id, ...columns, createdAt: now })
      .onConflictDoUpdate({
        target: schedules.id,
        set: { ...columns, revision: sql`${schedules.revision} + 1` },
      })
      .run();
    return spec.id;
  }

  #cancel(id: string, now: number): string[] {
    return this.#db
      .update(schedules)
      .set({
        status: "cancelled",
        owner: null,
        revision: sql`${schedules.revision} + 1`,
        updatedAt: now,
      })
      .where(and(eq(schedules.id, id), inArray(schedules.status, CANCELLABLE)))
      .returning({ id: schedules.id })
      .all()
      .map((row) => row.id);
  }

  declare(plugin: string, specs: readonly ScheduleSpec[], now: number): void {
    const kept = specs.map((spec) => spec.id);
    this.#db
      .delete(schedules)
      .where(
        and(
          eq(schedules.plugin, plugin),
          eq(schedules.declared, true),
          notInArray(schedules.id, kept),
        ),
      )
      .run();
    for (const spec of specs) {
      const [row] = this.#db.select().from(schedules).where(eq(schedules.id, spec.id)).all();
      if (row && !needsDeclaring(toRecord(row), spec)) continue;
      this.#put(spec, now);
    }
  }

  /** When the first run of these jobs is due, if any. */
  nextDue({ jobs }: Pick<ScheduleClaimRequest, "jobs">): number | undefined {
    if (jobs.size === 0) return undefined;
    const [next] = this.#db
      .select({ at: min(schedules.nextRunAt) })
      .from(schedules)
      .where(and(eq(schedules.status, "scheduled"), runnable(jobs)))
      .all();
    return next?.at ?? undefined;
  }

  claim({ jobs, limit, now }: ScheduleClaimRequest): {
    runs: ScheduleRecord[];
    nextDueAt: number | undefined;
  } {
    if (jobs.size === 0 || limit <= 0) return { runs: [], nextDueAt: undefined };
    const scheduled = and(eq(schedules.status, "scheduled"), runnable(jobs));
    const due = this.#db
      .select({ id: schedules.id })
      .from(schedules)
      .where(and(scheduled, lte(schedules.nextRunAt, now)))
      .orderBy(asc(schedules.nextRunAt), asc(schedules.id))
      .limit(limit)
      .all()
      .map((row) => row.id);
    const runs =
      due.length === 0
        ? []
        : this.#db
            .update(schedules)
            .set({ status: "running", deferred: false, updatedAt: now })
            .where(inArray(schedules.id, due))
            .returning()
            .all()
            .map(toRecord)
            .sort((a, b) => a.nextRunAt - b.nextRunAt || a.id.localeCompare(b.id));
    const [next] = this.#db
      .select({ at: min(schedules.nextRunAt) })
      .from(schedules)
      .where(and(scheduled, gt(schedules.nextRunAt, now)))
      .all();
    return { runs, nextDueAt: next?.at ?? undefined };
  }

  settle(settled: readonly SettledRun[], now: number): void {
    for (const run of settled) {
      const fence = and(
        eq(schedules.id, run.id),
        eq(schedules.revision, run.revision),
        eq(schedules.status, "running"),
      );
      const recorded = this.#db
        .update(schedules)
        .set({
          ...settlementColumns(run.settlement),
          owner: null,
          leaseUntil: null,
          updatedAt: now,
        })
        .where(fence)
        .returning({ id: schedules.id })
        .all();
      const ran = run.settlement.status === "done" || run.settlement.status === "next";
      // A fenced run (replaced or cancelled meanwhile) keeps nothing of what it did.
      if (recorded.length > 0 && ran && run.schedules) this.write(run.schedules, now);
    }
  }

  undefer(plugin: string, now: number): void {
    this.#db
      .update(schedules)
      .set({ nextRunAt: now, deferred: false, updatedAt: now })
      .where(
        and(
          eq(schedules.plugin, plugin),
          eq(schedules.deferred, true),
          eq(schedules.status, "scheduled"),
        ),
      )
      .run();
  }

  list(query: ScheduleQuery): ScheduleRecord[] {
    const conditions = [
      query.plugin === undefined ? undefined : eq(schedules.plugin, query.plugin),
      query.job === undefined ? undefined : eq(schedules.name, query.job),
      query.ids === undefined ? undefined : inArray(schedules.id, [...query.ids]),
      query.statuses === undefined ? undefined : inArray(schedules.status, [...query.statuses]),
      query.after === undefined ? undefined : gt(schedules.id, query.after),
    ];
    return this.#db
      .select()
      .from(schedules)
      .where(and(...conditions))
      .orderBy(asc(schedules.id))
      .limit(query.limit)
      .all()
      .map(toRecord);
  }

  retry(ids: readonly string[], now: number): string[] {
    if (ids.length === 0) return [];
    return this.#db
      .update(schedules)
      .set({ status: "scheduled", attempts: 0, nextRunAt: now, deferred: false, updatedAt: now })
      .where(and(inArray(schedules.id, [...ids]), eq(schedules.status, "dead")))
      .returning({ id: schedules.id })
      .all()
      .map((row) => row.id);
  }

  /** Deletes schedules done or cancelled before `before`; resolves with how many. */
  prune(before: number): number {
    return this.#db
      .delete(schedules)
      .where(and(inArray(schedules.status, FINISHED), lte(schedules.updatedAt, before)))
      .returning({ id: schedules.id })
      .all().length;
  }
}

function settlementColumns(settlement: RunSettlement) {
  switch (settlement.status) {
    case "done":
      return { status: "done", lastError: null };
    case "next":
      return {
        status: "scheduled",
        nextRunAt: settlement.nextRunAt,
        runAt: settlement.nextRunAt,
        attempts: 0,
        lastError: null,
      };
    case "retry":
      return {
        status: "scheduled",
        nextRunAt: settlement.nextAttemptAt,
        attempts: sql`${schedules.attempts} + 1`,
        lastError: settlement.error,
      };
    case "dead":
      return {
        status: "dead",
        attempts: sql`${schedules.attempts} + 1`,
        lastError: settlement.error,
      };
    case "deferred":
      return { status: "scheduled", nextRunAt: settlement.until, deferred: true };
    case "released":
      return { status: "scheduled" };
  }
}
