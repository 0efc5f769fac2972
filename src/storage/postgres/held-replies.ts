import type { HeldReplies, HeldReply } from "../held-replies.ts";
import type { Sql } from "./connection.ts";

/** Held late replies on PostgreSQL: the tap may reach any instance. */
export class PostgresHeldReplies implements HeldReplies {
  readonly #sql: Sql;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async hold(eventId: string, reply: HeldReply, now: number): Promise<void> {
    await this.#sql`
      insert into held_replies (event_id, plugin, "offset", messages, held_at)
      values (${eventId}, ${reply.plugin}, ${reply.offset}, ${reply.messages}::text::jsonb, ${now})
      on conflict (event_id, plugin, "offset") do update
        set messages = excluded.messages, held_at = excluded.held_at`;
  }

  async heldFor(eventId: string): Promise<HeldReply[]> {
    return this.#sql<HeldReply[]>`
      select plugin, "offset", messages::text as messages from held_replies
      where event_id = ${eventId} order by plugin collate "C", "offset"`;
  }
}
