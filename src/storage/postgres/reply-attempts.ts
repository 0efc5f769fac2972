/**
 * A reply token's use on PostgreSQL: recorded before the call by the one instance that makes it,
 * so that no instance ever tries the same token as new twice (the exactly-once rule for replies).
 */
import type { ReplyAttempts } from "../store.ts";
import type { Sql } from "./connection.ts";

export async function replyAttempts(sql: Sql, eventId: string): Promise<ReplyAttempts> {
  const [row] = await sql<Array<{ at: number | null }>>`
    select reply_attempted_at as at from inbox_events where id = ${eventId}`;
  const attemptedAt = row?.at ?? null;
  if (attemptedAt === null) return { attemptedAt, plugins: new Set() };
  const rows = await sql<Array<{ plugin: string }>>`
    select plugin from deliveries where event_id = ${eventId} and reply_attempted`;
  return { attemptedAt, plugins: new Set(rows.map((r) => r.plugin)) };
}

export async function markReplyAttempted(
  sql: Sql,
  eventId: string,
  plugins: string[],
  now: number,
): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`
      update inbox_events set reply_attempted_at = coalesce(reply_attempted_at, ${now})
      where id = ${eventId}`;
    await tx`
      update deliveries set reply_attempted = true, updated_at = ${now}
      where event_id = ${eventId} and plugin = any(${plugins})`;
  });
}

export async function claimReplyToken(
  sql: Sql,
  eventId: string,
  plugins: string[],
  now: number,
): Promise<boolean> {
  return sql.begin(async (tx) => {
    const won = await tx`
      update inbox_events set reply_attempted_at = ${now}
      where id = ${eventId} and reply_attempted_at is null
      returning id`;
    if (won.length === 0) return false;
    await tx`
      update deliveries set reply_attempted = true, updated_at = ${now}
      where event_id = ${eventId} and plugin = any(${plugins})`;
    return true;
  });
}

export async function clearReplyAttempted(
  sql: Sql,
  eventId: string,
  plugins: string[],
  now: number,
): Promise<void> {
  if (plugins.length === 0) return;
  await sql`
    update deliveries set reply_attempted = false, updated_at = ${now}
    where event_id = ${eventId} and plugin = any(${plugins})`;
}
