import type { PushPause, QuotaStore, SentCount, SentKind } from "../quota.ts";
import type { Sql } from "./connection.ts";

/** Cost control's records on PostgreSQL: every instance sees one pause and one count. */
export class PostgresQuota implements QuotaStore {
  readonly #sql: Sql;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async pause(channel: string, now: number): Promise<PushPause | undefined> {
    const [row] = await this.#sql<PushPause[]>`
      select reason, paused_at as "pausedAt", until from push_pauses
      where channel = ${channel} and until > ${now}`;
    return row;
  }

  async setPause(channel: string, pause: PushPause): Promise<void> {
    await this.#sql`
      insert into push_pauses (channel, reason, paused_at, until)
      values (${channel}, ${pause.reason}, ${pause.pausedAt}, ${pause.until})
      on conflict (channel) do update set reason = excluded.reason,
        paused_at = excluded.paused_at, until = excluded.until`;
  }

  async resume(channel: string): Promise<boolean> {
    const deleted = await this.#sql`delete from push_pauses where channel = ${channel}`;
    return deleted.count > 0;
  }

  async addSent(
    channel: string,
    month: string,
    sent: { plugin: string; kind: SentKind; count: number },
    now: number,
  ): Promise<void> {
    await this.#sql`
      insert into sent_messages (channel, month, plugin, kind, count, updated_at)
      values (${channel}, ${month}, ${sent.plugin}, ${sent.kind}, ${sent.count}, ${now})
      on conflict (channel, month, plugin, kind) do update
        set count = sent_messages.count + excluded.count, updated_at = excluded.updated_at`;
  }

  async sent(channel: string, month: string): Promise<SentCount[]> {
    return this.#sql<SentCount[]>`
      select plugin, kind, count from sent_messages
      where channel = ${channel} and month = ${month}
      order by plugin collate "C", kind collate "C"`;
  }

  async channels(month: string): Promise<string[]> {
    const rows = await this.#sql<Array<{ channel: string }>>`
      select channel from sent_messages where month = ${month}
      union select channel from push_pauses order by 1`;
    return rows.map((row) => row.channel);
  }
}
