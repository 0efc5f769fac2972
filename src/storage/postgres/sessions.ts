/** Plugins' sessions on PostgreSQL: read before a run, written inside its settlement. */
import type { SessionKey, SessionRecord, SessionWrite } from "../store.ts";
import type { Sql, Tx } from "./connection.ts";
import { DEFAULT_CHANNEL } from "./shared-state.ts";

export async function readSessions(
  sql: Sql,
  keys: readonly SessionKey[],
  now: number,
): Promise<SessionRecord[]> {
  if (keys.length === 0) return [];
  const rows = await sql<Array<SessionKey & { value: string; expiresAt: number | null }>>`
    select s.plugin, s.scope, s.key, s.value::text as value, s.expires_at as "expiresAt"
    from unnest(
      ${keys.map((k) => k.plugin)}::text[], ${keys.map((k) => k.scope)}::text[],
      ${keys.map((k) => k.key)}::text[]
    ) as k(plugin, scope, key)
    join sessions s on s.channel = ${DEFAULT_CHANNEL} and s.plugin = k.plugin
      and s.scope = k.scope and s.key = k.key
    where s.expires_at is null or s.expires_at > ${now}`;
  return rows.map((row) => ({
    ...row,
    expiresAt: row.expiresAt === null ? null : Number(row.expiresAt),
  }));
}

/** Saves and deletes in one statement each; last writer wins (a chat's runs are serial). */
export async function writeSessions(
  tx: Tx,
  writes: readonly SessionWrite[],
  now: number,
): Promise<void> {
  const saved = writes.filter((w) => w.value !== null);
  const removed = writes.filter((w) => w.value === null);
  if (saved.length > 0)
    await tx`
      insert into sessions (channel, plugin, scope, key, value, expires_at, updated_at)
      select ${DEFAULT_CHANNEL}, w.plugin, w.scope, w.key, w.value::jsonb, w.expires_at, ${now}
      from unnest(
        ${saved.map((w) => w.plugin)}::text[], ${saved.map((w) => w.scope)}::text[],
        ${saved.map((w) => w.key)}::text[], ${saved.map((w) => w.value)}::text[],
        ${saved.map((w) => w.expiresAt)}::bigint[]
      ) as w(plugin, scope, key, value, expires_at)
      on conflict (channel, plugin, scope, key) do update set
        value = excluded.value, expires_at = excluded.expires_at,
        version = sessions.version + 1, updated_at = excluded.updated_at`;
  if (removed.length > 0)
    await tx`
      delete from sessions s
      using unnest(
        ${removed.map((w) => w.plugin)}::text[], ${removed.map((w) => w.scope)}::text[],
        ${removed.map((w) => w.key)}::text[]
      ) as w(plugin, scope, key)
      where s.channel = ${DEFAULT_CHANNEL} and s.plugin = w.plugin and s.scope = w.scope
        and s.key = w.key`;
}

export async function pruneSessions(tx: Tx, now: number): Promise<number> {
  const rows = await tx`
    delete from sessions where expires_at is not null and expires_at <= ${now} returning key`;
  return rows.length;
}
