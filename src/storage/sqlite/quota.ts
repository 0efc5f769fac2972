import { and, eq, gt, sql } from "drizzle-orm";
import type { SqlDatabase } from "../../platform/mod.ts";
import type { PushPause, QuotaStore, SentCount, SentKind } from "../quota.ts";
import { pushPauses, sentMessages } from "./schema.ts";
import type { WriteQueue } from "./write-queue.ts";

/** Cost control's records in `hotline.db`; writes go through the write queue (group commit). */
export class SqliteQuota implements QuotaStore {
  readonly #db: SqlDatabase;
  readonly #writes: WriteQueue;

  constructor(db: SqlDatabase, writes: WriteQueue) {
    this.#db = db;
    this.#writes = writes;
  }

  async pause(channel: string, now: number): Promise<PushPause | undefined> {
    return this.#db
      .select({ reason: pushPauses.reason, pausedAt: pushPauses.pausedAt, until: pushPauses.until })
      .from(pushPauses)
      .where(and(eq(pushPauses.channel, channel), gt(pushPauses.until, now)))
      .get();
  }

  setPause(channel: string, pause: PushPause): Promise<void> {
    return this.#writes.write(() => {
      this.#db
        .insert(pushPauses)
        .values({ channel, ...pause })
        .onConflictDoUpdate({ target: pushPauses.channel, set: pause })
        .run();
    });
  }

  resume(channel: string): Promise<boolean> {
    return this.#writes.write(() => {
      const deleted = this.#db
        .delete(pushPauses)
        .where(eq(pushPauses.channel, channel))
        .returning({ channel: pushPauses.channel })
        .all();
      return deleted.length > 0;
    });
  }

  addSent(
    channel: string,
    month: string,
    sent: { plugin: string; kind: SentKind; count: number },
    now: number,
  ): Promise<void> {
    return this.#writes.write(() => {
      this.#db
        .insert(sentMessages)
        .values({ channel, month, ...sent, updatedAt: now })
        .onConflictDoUpdate({
          target: [
            sentMessages.channel,
            sentMessages.month,
            sentMessages.plugin,
            sentMessages.kind,
          ],
          set: { count: sql`${sentMessages.count} + ${sent.count}`, updatedAt: now },
        })
        .run();
    });
  }

  async sent(channel: string, month: string): Promise<SentCount[]> {
    const rows = this.#db
      .select({ plugin: sentMessages.plugin, kind: sentMessages.kind, count: sentMessages.count })
      .from(sentMessages)
      .where(and(eq(sentMessages.channel, channel), eq(sentMessages.month, month)))
      .orderBy(sentMessages.plugin, sentMessages.kind)
      .all();
    return rows.map((row) => ({ ...row, kind: row.kind as SentKind }));
  }

  async channels(month: string): Promise<string[]> {
    const rows = this.#db.all<{ channel: string }>(sql`
      select channel from sent_messages where month = ${month}
      union select channel from push_pauses order by channel`);
    return rows.map((row) => row.channel);
  }
}
