/**
 * Claims and settlements on PostgreSQL: the SQL that keeps one running delivery per (channel,
 * chat, plugin) lane across every instance, in timestamp order.
 */
import type { ClaimedDelivery, ClaimRequest, DeliveryKey, SettledDelivery } from "../store.ts";
import type { Sql, Tx } from "./connection.ts";
import { writeSchedules } from "./schedules.ts";
import { writeSessions } from "./sessions.ts";

/**
 * Every transaction that writes deliveries locks their events first, in id order, as claims do
 * (claims skip locked events): two writers never hold each other's rows, so none deadlocks.
 */
export async function lockEvents(tx: Tx, eventIds: string[]): Promise<void> {
  if (eventIds.length === 0) return;
  await tx`select id from inbox_events where id = any(${eventIds}) order by id for update`;
}

export interface ClaimedRow {
  seq: number;
  id: string;
  body: string;
  destination: string | null;
  receivedAt: number;
  timestamp: number;
  channel: string;
}

/**
 * Takes the due heads of lanes for the loaded plugins, whole events at a time (events in
 * timestamp order until `limit` deliveries are reached or passed by the last one), and marks
 * them running under this instance's lease, in one statement:
 *  - heads: the first open delivery of each lane (DISTINCT ON over the lanes index); a running
 *    head means the lane is busy;
 *  - the events are locked `FOR UPDATE SKIP LOCKED`: two instances never claim the same event,
 *    so its deliveries (and its reply) stay together;
 *  - the unique index on running deliveries per lane is the last guard: a claim that would
 *    break it fails and is simply tried again.
 */
export async function claimHeads(
  sql: Sql,
  request: ClaimRequest,
  lease: { owner: string; until: number },
): Promise<Array<{ row: ClaimedRow; deliveries: ClaimedDelivery[] }>> {
  const rows = await sql<Array<ClaimedRow & { plugin: string; attempts: number }>>`
    with heads as materialized (
      select distinct on (channel, chat_key, plugin)
        event_id, plugin, status, next_attempt_at, timestamp, seq
      from deliveries
      where status in ('pending', 'retry', 'running') and plugin = any(${[...request.plugins]})
      order by channel, chat_key, plugin, timestamp, seq
    ), due as materialized (
      select event_id, plugin, timestamp, seq from heads
      where status <> 'running' and next_attempt_at <= ${request.now}
    ), events as materialized (
      select event_id, min(timestamp) as ts, min(seq) as sq, count(*) as n
      from due group by event_id
    ), picked as materialized (
      select event_id from (
        select event_id, sum(n) over (order by ts, sq, event_id) - n as before from events
      ) ranked
      where before < ${request.limit}
    ), locked as materialized (
      select e.id from inbox_events e join picked p on p.event_id = e.id
      for update of e skip locked
    )
    update deliveries d set
      status = 'running', owner = ${lease.owner}, lease_until = ${lease.until},
      deferred = false, updated_at = ${request.now}
    from due
    join locked on locked.id = due.event_id
    join inbox_events e on e.id = due.event_id
    where d.event_id = due.event_id and d.plugin = due.plugin and d.status in ('pending', 'retry')
    returning d.event_id as "eventId", d.plugin, d.attempts,
      e.seq, e.id, e.body, e.destination, e.received_at as "receivedAt", e.timestamp,
      e.channel`;
  const byEvent = new Map<string, { row: ClaimedRow; deliveries: ClaimedDelivery[] }>();
  for (const { plugin, attempts, ...row } of rows) {
    const entry = byEvent.get(row.id) ?? { row, deliveries: [] };
    entry.deliveries.push({ eventId: row.id, plugin, attempts });
    byEvent.set(row.id, entry);
  }
  return [...byEvent.values()].sort(
    (a, b) => a.row.timestamp - b.row.timestamp || a.row.seq - b.row.seq,
  );
}

/** Column values for each kind of settlement: the status written, and what else changes. */
function columns(settled: SettledDelivery) {
  const { settlement } = settled;
  switch (settlement.status) {
    case "done":
      return { status: "done", counted: 1, next: null, error: null, deferred: false };
    case "retry": {
      const { error, nextAttemptAt } = settlement;
      return { status: "retry", counted: 1, next: nextAttemptAt, error, deferred: false };
    }
    case "dead":
      return { status: "dead", counted: 1, next: null, error: settlement.error, deferred: false };
    case "dropped":
      return {
        status: "dropped",
        counted: 0,
        next: null,
        error: settlement.reason,
        deferred: false,
      };
    case "deferred":
      return { status: "pending", counted: 0, next: settlement.until, error: null, deferred: true };
  }
}

/**
 * Records how claimed deliveries ended, in one transaction, fenced by the lease: a delivery this
 * instance no longer owns (it was taken over) is left alone and reported as fenced. Events whose
 * deliveries are now all settled become done.
 */
export async function settleClaimed(
  sql: Sql,
  settled: SettledDelivery[],
  context: { owner: string; now: number },
): Promise<{ closed: string[]; fenced: DeliveryKey[] }> {
  const values = settled.map((delivery) => ({
    key: delivery,
    ...columns(delivery),
    // Null keeps the record: a run that sent nothing, or recording turned off.
    sent: delivery.sent === undefined ? null : JSON.stringify(delivery.sent),
  }));
  const { owner, now } = context;
  return sql.begin(async (tx) => {
    await lockEvents(tx, [...new Set(settled.map((delivery) => delivery.eventId))]);
    const written = await tx<Array<{ eventId: string; plugin: string }>>`
      update deliveries d set
        status = case when v.deferred and d.attempts > 0 then 'retry' else v.status end,
        attempts = d.attempts + v.counted,
        next_attempt_at = coalesce(v.next, d.next_attempt_at),
        last_error = case when v.status = 'pending' then d.last_error else v.error end,
        deferred = v.deferred,
        sent = coalesce(v.sent::jsonb, d.sent),
        owner = null,
        lease_until = null,
        updated_at = ${now}
      from unnest(
        ${values.map((v) => v.key.eventId)}::text[], ${values.map((v) => v.key.plugin)}::text[],
        ${values.map((v) => v.status)}::text[], ${values.map((v) => v.counted)}::int[],
        ${values.map((v) => v.next)}::bigint[], ${values.map((v) => v.error)}::text[],
        ${values.map((v) => String(v.deferred))}::text[]::bool[], ${values.map((v) => v.sent)}::text[]
      ) as v(event_id, plugin, status, counted, next, error, deferred, sent)
      where d.event_id = v.event_id and d.plugin = v.plugin
        and d.status = 'running' and d.owner = ${owner}
      returning d.event_id as "eventId", d.plugin`;
    const recorded = new Set(written.map((row) => `${row.eventId}\u0000${row.plugin}`));
    const isRecorded = (key: DeliveryKey) => recorded.has(`${key.eventId}\u0000${key.plugin}`);
    const fenced = settled
      .filter((key) => !isRecorded(key))
      .map(({ eventId, plugin }) => ({ eventId, plugin }));
    // A fenced run's effects are dropped with its settlement: the instance now running it decides.
    const sessions = settled
      .filter((d) => d.settlement.status === "done" && isRecorded(d))
      .flatMap((d) => d.effects?.sessions ?? []);
    await writeSessions(tx, sessions, now);
    const schedules = settled
      .filter((d) => d.settlement.status === "done" && isRecorded(d))
      .flatMap((d) => d.effects?.schedules ?? []);
    await writeSchedules(tx, schedules, now);
    const eventIds = [...new Set(written.map((row) => row.eventId))];
    if (eventIds.length === 0) return { closed: [], fenced };
    const closed = await tx<Array<{ id: string }>>`
      update inbox_events e set status = 'done', done_at = ${now}
      where e.id = any(${eventIds}) and e.status <> 'done' and not exists (
        select 1 from deliveries d
        where d.event_id = e.id and d.status in ('pending', 'retry', 'running'))
      returning e.id`;
    return { closed: closed.map((row) => row.id), fenced };
  });
}
