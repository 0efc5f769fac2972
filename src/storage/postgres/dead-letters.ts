/** What operators see and do on PostgreSQL: dead letters, counts, the inbox's depth. */
import type {
  DeadCursor,
  DeadDelivery,
  DeadSelector,
  DeliveryKey,
  DeliveryRecord,
  DeliveryStatus,
  EventStatus,
  InboxDepth,
  OpenDelivery,
} from "../store.ts";
import type { Sql } from "./connection.ts";
import { lockEvents } from "./lanes.ts";

type Fragment = ReturnType<Sql>;

export class DeadLetters {
  readonly #sql: Sql;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  #which(selector: DeadSelector): Fragment {
    const sql = this.#sql;
    if ("all" in selector) return sql`d.status = 'dead'`;
    if ("plugin" in selector) return sql`d.status = 'dead' and d.plugin = ${selector.plugin}`;
    const events = selector.deliveries.map((key) => key.eventId);
    const plugins = selector.deliveries.map((key) => key.plugin);
    return sql`d.status = 'dead' and (d.event_id, d.plugin) in (
      select * from unnest(${events}::text[], ${plugins}::text[]))`;
  }

  /** Dead deliveries made pending again with fresh attempts; their events reopened. */
  async retry(selector: DeadSelector, now: number): Promise<OpenDelivery[]> {
    return this.#sql.begin(async (tx) => {
      const dead = await tx<Array<{ eventId: string }>>`
        select distinct d.event_id as "eventId" from deliveries d where ${this.#which(selector)}`;
      await lockEvents(
        tx,
        dead.map((row) => row.eventId),
      );
      const revived = await tx<OpenDelivery[]>`
        update deliveries d set status = 'pending', attempts = 0, next_attempt_at = 0,
          deferred = false, updated_at = ${now}
        where ${this.#which(selector)}
        returning d.event_id as "eventId", d.plugin, d.attempts,
          d.next_attempt_at as "nextAttemptAt", d.chat_key as "chatKey", d.timestamp, d.seq`;
      const eventIds = [...new Set(revived.map((d) => d.eventId))];
      if (eventIds.length > 0)
        await tx`update inbox_events set status = 'active', done_at = null where id = any(${eventIds})`;
      return revived;
    });
  }

  discard(selector: DeadSelector, reason: string, now: number): Promise<DeliveryKey[]> {
    return this.#sql<DeliveryKey[]>`
      update deliveries d set status = 'dropped', updated_at = ${now},
        last_error = 'discarded: ' || ${reason}
          || coalesce(' (last error: ' || d.last_error || ')', '')
      where ${this.#which(selector)}
      returning d.event_id as "eventId", d.plugin`;
  }

  list(query: { plugin?: string; limit: number; after?: DeadCursor }): Promise<DeadDelivery[]> {
    const sql = this.#sql;
    const { after } = query;
    const plugin = query.plugin === undefined ? sql`` : sql`and d.plugin = ${query.plugin}`;
    const page =
      after === undefined
        ? sql``
        : sql`and (d.updated_at, d.event_id, d.plugin) < (${after.deadAt}, ${after.eventId}, ${after.plugin})`;
    return sql<DeadDelivery[]>`
      select d.event_id as "eventId", d.plugin, d.attempts, d.last_error as "lastError",
        d.updated_at as "deadAt", e.type as "eventType", e.chat_key as "chatKey",
        e.received_at as "receivedAt"
      from deliveries d join inbox_events e on e.id = d.event_id
      where d.status = 'dead' ${plugin} ${page}
      order by d.updated_at desc, d.event_id desc, d.plugin desc
      limit ${query.limit}`;
  }

  async deliveryCounts(): Promise<Record<DeliveryStatus, number>> {
    const counts: Record<DeliveryStatus, number> = {
      pending: 0,
      retry: 0,
      done: 0,
      dead: 0,
      dropped: 0,
    };
    const rows = await this.#sql<Array<{ status: string; n: number }>>`
      select status, count(*)::int as n from deliveries group by status`;
    // A running delivery is still open: it counts as pending.
    for (const { status, n } of rows) {
      const key = (status === "running" ? "pending" : status) as DeliveryStatus;
      counts[key] += n;
    }
    return counts;
  }

  async eventCounts(): Promise<Record<EventStatus, number>> {
    const counts: Record<EventStatus, number> = { pending: 0, active: 0, done: 0 };
    const rows = await this.#sql<Array<{ status: EventStatus; n: number }>>`
      select status, count(*)::int as n from inbox_events group by status`;
    for (const { status, n } of rows) counts[status] = n;
    return counts;
  }

  async unsettledByPlugin(): Promise<Map<string, { open: number; dead: number }>> {
    const rows = await this.#sql<Array<{ plugin: string; open: number; dead: number }>>`
      select plugin,
        count(*) filter (where status <> 'dead')::int as open,
        count(*) filter (where status = 'dead')::int as dead
      from deliveries where status in ('pending', 'retry', 'running', 'dead')
      group by plugin`;
    return new Map(rows.map(({ plugin, open, dead }) => [plugin, { open, dead }]));
  }

  async depth(): Promise<InboxDepth> {
    const [row] = await this.#sql<Array<{ open: number; oldest: number | null }>>`
      select count(*)::int as open, min(received_at) as oldest
      from inbox_events where status <> 'done'`;
    return { open: row?.open ?? 0, oldestReceivedAt: row?.oldest ?? undefined };
  }

  deliveriesOf(eventId?: string): Promise<DeliveryRecord[]> {
    const sql = this.#sql;
    const where = eventId === undefined ? sql`` : sql`where event_id = ${eventId}`;
    return sql<DeliveryRecord[]>`
      select event_id as "eventId", plugin,
        case when status = 'running' then 'pending' else status end as status,
        attempts, next_attempt_at as "nextAttemptAt", last_error as "lastError",
        reply_attempted as "replyAttempted", updated_at as "updatedAt"
      from deliveries ${where}
      order by event_id, plugin`;
  }
}
