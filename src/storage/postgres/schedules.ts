/**
 * Schedules on PostgreSQL, shared by every instance: a due run is claimed by one of them
 * (`FOR UPDATE SKIP LOCKED`) under its lease, settled fenced by owner and revision, and taken over
 * by the others when its instance dies (see instance.ts).
 */
import type postgres from "postgres";
import {
  needsDeclaring,
  type RunSettlement,
  type ScheduleClaim,
  type ScheduleClaimRequest,
  type ScheduleQuery,
  type ScheduleRecord,
  type ScheduleSpec,
  type ScheduleWrite,
  type SettledRun,
} from "../schedules.ts";
import type { Sql, Tx } from "./connection.ts";
import { DEFAULT_CHANNEL } from "./shared-state.ts";

type Db = Sql | Tx;

const columns = (sql: Db) => sql`
  id, plugin, name as job, payload::text as payload, cron, time_zone as "timeZone",
  every_ms as "everyMs", next_run_at as "nextRunAt", run_at as "runAt", status, attempts,
  last_error as "lastError", revision, declared, created_at as "createdAt",
  updated_at as "updatedAt"`;

export async function writeSchedules(
  tx: Db,
  writes: readonly ScheduleWrite[],
  now: number,
): Promise<string[]> {
  const changed: string[] = [];
  for (const write of writes) {
    if ("put" in write) changed.push(await put(tx, write.put, now));
    else changed.push(...(await cancel(tx, write.cancel, now)));
  }
  return changed;
}

async function put(tx: Db, spec: ScheduleSpec, now: number): Promise<string> {
  await tx`
    insert into schedules (id, channel, plugin, name, cron, time_zone, every_ms, payload,
      next_run_at, run_at, declared, status, attempts, created_at, updated_at)
    values (${spec.id}, ${DEFAULT_CHANNEL}, ${spec.plugin}, ${spec.job}, ${spec.cron},
      ${spec.timeZone}, ${spec.everyMs}, ${spec.payload}::text::jsonb, ${spec.nextRunAt},
      ${spec.nextRunAt}, ${spec.declared}, 'scheduled', 0, ${now}, ${now})
    on conflict (id) do update set
      plugin = excluded.plugin, name = excluded.name, cron = excluded.cron,
      time_zone = excluded.time_zone, every_ms = excluded.every_ms, payload = excluded.payload,
      next_run_at = excluded.next_run_at, run_at = excluded.run_at, declared = excluded.declared,
      status = 'scheduled', attempts = 0, last_error = null, owner = null, lease_until = null,
      deferred = false, revision = schedules.revision + 1, updated_at = excluded.updated_at`;
  return spec.id;
}

async function cancel(tx: Db, id: string, now: number): Promise<string[]> {
  const rows = await tx<Array<{ id: string }>>`
    update schedules set status = 'cancelled', owner = null, lease_until = null,
      revision = revision + 1, updated_at = ${now}
    where id = ${id} and status in ('scheduled', 'running', 'dead')
    returning id`;
  return rows.map((row) => row.id);
}

export async function declareJobs(
  sql: Sql,
  plugin: string,
  specs: readonly ScheduleSpec[],
  now: number,
): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`
      delete from schedules
      where plugin = ${plugin} and declared and id <> all(${specs.map((spec) => spec.id)})`;
    const current = await listSchedules(tx, { ids: specs.map((spec) => spec.id), limit: 10_000 });
    const byId = new Map(current.map((record) => [record.id, record]));
    for (const spec of specs) {
      const record = byId.get(spec.id);
      if (!record || needsDeclaring(record, spec)) await put(tx, spec, now);
    }
  });
}

/** Due runs of the loaded jobs, oldest first, marked running under this instance's lease. */
export async function claimSchedules(
  sql: Sql,
  request: ScheduleClaimRequest,
  lease: { owner: string; until: number },
): Promise<ScheduleClaim> {
  const pairs = [...request.jobs].flatMap(([plugin, names]) =>
    [...names].map((name) => [plugin, name] as const),
  );
  if (pairs.length === 0 || request.limit <= 0) return { runs: [], nextDueAt: undefined };
  const plugins = pairs.map(([plugin]) => plugin);
  const names = pairs.map(([, name]) => name);
  const runnable = sql`(plugin, name) in (
    select * from unnest(${plugins}::text[], ${names}::text[]))`;
  /** The first run due after `after` (or at all); runs others hold are theirs to handle. */
  const nextDue = async (after = Number.MIN_SAFE_INTEGER) => {
    const [next] = await sql<Array<{ at: number | string | null }>>`
      select min(next_run_at) as at from schedules
      where status = 'scheduled' and next_run_at > ${after} and ${runnable}`;
    return next?.at == null ? undefined : Number(next.at);
  };
  // Asked at every bit of new work: with nothing due, the usual answer, one read and no lock.
  const first = await nextDue();
  if (first === undefined || first > request.now) return { runs: [], nextDueAt: first };
  const runs = await sql<ScheduleRecord[]>`
    with due as materialized (
      select id as due_id from schedules
      where status = 'scheduled' and next_run_at <= ${request.now} and ${runnable}
      order by next_run_at, id
      limit ${request.limit}
      for update skip locked
    )
    update schedules s set status = 'running', owner = ${lease.owner},
      lease_until = ${lease.until}, deferred = false, updated_at = ${request.now}
    from due where s.id = due.due_id
    returning ${columns(sql)}`;
  const sorted = runs
    .map(normal)
    .sort((a, b) => a.nextRunAt - b.nextRunAt || (a.id < b.id ? -1 : 1));
  return { runs: sorted, nextDueAt: await nextDue(request.now) };
}

/** Fenced by owner and revision: a run taken over, replaced or cancelled meanwhile settles nothing. */
export async function settleSchedules(
  sql: Sql,
  settled: readonly SettledRun[],
  context: { owner: string; now: number },
): Promise<string[]> {
  const { owner, now } = context;
  return sql.begin(async (tx) => {
    const fenced: string[] = [];
    for (const run of settled) {
      const recorded = await tx`
        update schedules set ${settlementColumns(tx, run.settlement)},
          owner = null, lease_until = null, updated_at = ${now}
        where id = ${run.id} and revision = ${run.revision} and status = 'running'
          and owner = ${owner}
        returning id`;
      if (recorded.length === 0) fenced.push(run.id);
      const ran = run.settlement.status === "done" || run.settlement.status === "next";
      if (recorded.length > 0 && ran && run.schedules) await writeSchedules(tx, run.schedules, now);
    }
    return fenced;
  });
}

function settlementColumns(
  tx: Tx,
  settlement: RunSettlement,
): postgres.PendingQuery<postgres.Row[]> {
  switch (settlement.status) {
    case "done":
      return tx`status = 'done', last_error = null`;
    case "next":
      return tx`status = 'scheduled', next_run_at = ${settlement.nextRunAt},
        run_at = ${settlement.nextRunAt}, attempts = 0, last_error = null`;
    case "retry":
      return tx`status = 'scheduled', next_run_at = ${settlement.nextAttemptAt},
        attempts = attempts + 1, last_error = ${settlement.error}`;
    case "dead":
      return tx`status = 'dead', attempts = attempts + 1, last_error = ${settlement.error}`;
    case "deferred":
      return tx`status = 'scheduled', next_run_at = ${settlement.until}, deferred = true`;
    case "released":
      return tx`status = 'scheduled'`;
  }
}

export async function undeferSchedules(sql: Sql, plugin: string, now: number): Promise<void> {
  await sql`
    update schedules set next_run_at = ${now}, deferred = false, updated_at = ${now}
    where plugin = ${plugin} and deferred and status = 'scheduled'`;
}

export async function listSchedules(sql: Db, query: ScheduleQuery): Promise<ScheduleRecord[]> {
  const plugin = query.plugin ?? null;
  const job = query.job ?? null;
  const ids = query.ids ? [...query.ids] : null;
  const statuses = query.statuses ? [...query.statuses] : null;
  const after = query.after ?? null;
  const rows = await sql<ScheduleRecord[]>`
    select ${columns(sql)} from schedules
    where (${plugin}::text is null or plugin = ${plugin})
      and (${job}::text is null or name = ${job})
      and (${ids}::text[] is null or id = any(${ids}::text[]))
      and (${statuses}::text[] is null or status = any(${statuses}::text[]))
      and (${after}::text is null or id collate "C" > ${after})
    order by id collate "C" limit ${query.limit}`;
  return rows.map(normal);
}

export async function retrySchedules(
  sql: Sql,
  ids: readonly string[],
  now: number,
): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await sql<Array<{ id: string }>>`
    update schedules set status = 'scheduled', attempts = 0, next_run_at = ${now},
      deferred = false, updated_at = ${now}
    where id = any(${[...ids]}) and status = 'dead'
    returning id`;
  return rows.map((row) => row.id);
}

export async function pruneSchedules(tx: Tx, before: number): Promise<number> {
  const rows = await tx`
    delete from schedules where status in ('done', 'cancelled') and updated_at <= ${before}
    returning id`;
  return rows.length;
}

/** Instances other than `self` that hold running schedules. */
export async function scheduleOwners(sql: Sql, self: string): Promise<string[]> {
  const rows = await sql<Array<{ owner: string }>>`
    select distinct owner from schedules where status = 'running' and owner <> ${self}`;
  return rows.map((row) => row.owner);
}

/**
 * Runs cut short (their instance died, or its lease ran out) are due again at once, counting an
 * attempt, so a job that takes down every instance that runs it ends dead instead.
 */
export async function requeueSchedules(
  sql: Sql,
  which: postgres.PendingQuery<postgres.Row[]>,
  context: { reason: string; now: number; maxAttempts: number },
): Promise<number> {
  const { reason, now, maxAttempts } = context;
  const rows = await sql`
    update schedules set
      status = case when attempts + 1 >= ${maxAttempts} then 'dead' else 'scheduled' end,
      attempts = attempts + 1, next_run_at = ${now}, owner = null, lease_until = null,
      last_error = ${reason}, updated_at = ${now}
    where status = 'running' and ${which}
    returning id`;
  return rows.length;
}

export async function renewScheduleLeases(sql: Sql, owner: string, until: number): Promise<void> {
  await sql`
    update schedules set lease_until = ${until} where owner = ${owner} and status = 'running'`;
}

/** bigint columns come back as strings unless mapped; ms values fit a number exactly. */
function normal(row: ScheduleRecord): ScheduleRecord {
  return {
    ...row,
    nextRunAt: Number(row.nextRunAt),
    runAt: Number(row.runAt),
    everyMs: row.everyMs === null ? null : Number(row.everyMs),
    createdAt: Number(row.createdAt),
    updatedAt: Number(row.updatedAt),
  };
}
