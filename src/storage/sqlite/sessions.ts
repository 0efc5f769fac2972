import { and, eq, sql } from "drizzle-orm";
import type { SqlDatabase } from "../../platform/mod.ts";
import type { SessionKey, SessionRecord, SessionWrite } from "../store.ts";
import { sessions } from "./schema.ts";

const param = sql.placeholder;
const isKey = and(
  eq(sessions.plugin, param("plugin")),
  eq(sessions.scope, param("scope")),
  eq(sessions.key, param("key")),
);

/** Plugins' sessions in `hotline.db`: written only inside a settlement's transaction. */
export class SessionTable {
  readonly #statements;

  constructor(db: SqlDatabase) {
    this.#statements = {
      read: db
        .select({ value: sessions.value, expiresAt: sessions.expiresAt })
        .from(sessions)
        .where(isKey)
        .prepare(),
      save: db
        .insert(sessions)
        .values({
          plugin: param("plugin"),
          scope: param("scope"),
          key: param("key"),
          value: param("value"),
          expiresAt: param("expiresAt"),
          updatedAt: param("now"),
        })
        .onConflictDoUpdate({
          target: [sessions.channel, sessions.plugin, sessions.scope, sessions.key],
          set: {
            value: sql`excluded.value`,
            expiresAt: sql`excluded.expires_at`,
            version: sql`${sessions.version} + 1`,
            updatedAt: sql`excluded.updated_at`,
          },
        })
        .prepare(),
      remove: db.delete(sessions).where(isKey).prepare(),
      prune: db
        .delete(sessions)
        .where(sql`${sessions.expiresAt} is not null and ${sessions.expiresAt} <= ${param("now")}`)
        .returning({ key: sessions.key })
        .prepare(),
    };
  }

  read(keys: readonly SessionKey[], now: number): SessionRecord[] {
    return keys.flatMap((key) => {
      const row = this.#statements.read.get({ plugin: key.plugin, scope: key.scope, key: key.key });
      if (!row || (row.expiresAt !== null && row.expiresAt <= now)) return [];
      return [{ ...key, value: row.value, expiresAt: row.expiresAt }];
    });
  }

  write(writes: readonly SessionWrite[], now: number): void {
    for (const { plugin, scope, key, value, expiresAt } of writes) {
      if (value === null) this.#statements.remove.run({ plugin, scope, key });
      else this.#statements.save.run({ plugin, scope, key, value, expiresAt, now });
    }
  }

  /** Deletes expired sessions (dialogs that timed out); resolves with how many. */
  prune(now: number): number {
    return this.#statements.prune.all({ now }).length;
  }
}
