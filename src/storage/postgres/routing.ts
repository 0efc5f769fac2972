/** Routing on PostgreSQL: what an event's storage writes besides it, and what a plugin's removal drops. */
import type { RoutedEvent, Router } from "../store.ts";
import type { Sql, Tx } from "./connection.ts";
import { lockEvents } from "./lanes.ts";
import { applySharedState } from "./shared-state.ts";

/** Inside the ingest or routing transaction: deliveries, event status, shared tables. */
export async function routeEvents(
  tx: Tx,
  events: RoutedEvent[],
  route: Router,
  now: number,
): Promise<void> {
  const rows: Array<[string, string, string, number, number, string]> = [];
  for (const event of events) {
    const { parsed } = event;
    event.plugins = route(parsed, event.destination);
    for (const plugin of event.plugins)
      rows.push([parsed.id, plugin, parsed.chatKey, parsed.timestamp, event.seq, parsed.channel]);
    await applySharedState(tx, parsed, now);
  }
  if (rows.length > 0) {
    await tx`
      insert into deliveries (event_id, plugin, channel, chat_key, timestamp, seq, updated_at)
      select e, p, ch, c, t, s, ${now} from unnest(
        ${rows.map((r) => r[0])}::text[], ${rows.map((r) => r[1])}::text[],
        ${rows.map((r) => r[2])}::text[], ${rows.map((r) => r[3])}::bigint[],
        ${rows.map((r) => r[4])}::bigint[], ${rows.map((r) => r[5])}::text[])
        as v(e, p, c, t, s, ch)
      on conflict do nothing`;
  }
  const active = events.filter((e) => e.plugins.length > 0).map((e) => e.parsed.id);
  const done = events.filter((e) => e.plugins.length === 0).map((e) => e.parsed.id);
  if (active.length > 0)
    await tx`update inbox_events set status = 'active' where id = any(${active})`;
  if (done.length > 0)
    await tx`update inbox_events set status = 'done', done_at = ${now} where id = any(${done})`;
}

/**
 * Drops a removed plugin's waiting deliveries, unless another live instance still has it loaded
 * (they are that instance's to run); resolves with the events that became settled.
 */
export async function dropPluginDeliveries(
  sql: Sql,
  drop: { self: string; plugin: string; reason: string; now: number },
): Promise<string[]> {
  const { self, plugin, reason, now } = drop;
  return sql.begin(async (tx) => {
    // Loaded by another live instance: its deliveries are that instance's to run.
    const elsewhere = await tx`
      select 1 from instances
      where id <> ${self} and plugins ? ${plugin} limit 1`;
    if (elsewhere.length > 0) return [];
    const open = await tx<Array<{ eventId: string }>>`
      select distinct event_id as "eventId" from deliveries
      where plugin = ${plugin} and status in ('pending', 'retry')`;
    await lockEvents(
      tx,
      open.map((row) => row.eventId),
    );
    const dropped = await tx<Array<{ eventId: string }>>`
      update deliveries set status = 'dropped', last_error = ${reason}, updated_at = ${now}
      where plugin = ${plugin} and status in ('pending', 'retry')
      returning event_id as "eventId"`;
    return closeSettled(tx, [...new Set(dropped.map((d) => d.eventId))], now);
  });
}

/** Events among these whose deliveries are all settled become done; returns them. */
async function closeSettled(tx: Tx, eventIds: string[], now: number): Promise<string[]> {
  if (eventIds.length === 0) return [];
  const closed = await tx<Array<{ id: string }>>`
    update inbox_events e set status = 'done', done_at = ${now}
    where e.id = any(${eventIds}) and e.status <> 'done' and not exists (
      select 1 from deliveries d
      where d.event_id = e.id and d.status in ('pending', 'retry', 'running'))
    returning e.id`;
  return closed.map((row) => row.id);
}
