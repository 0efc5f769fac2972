import { asc, eq } from "drizzle-orm";
import type { SqlDatabase } from "../../platform/mod.ts";
import type { HeldReplies, HeldReply } from "../held-replies.ts";
import { heldReplies } from "./schema.ts";
import type { WriteQueue } from "./write-queue.ts";

/** Held late replies in `hotline.db`; writes go through the write queue. */
export class SqliteHeldReplies implements HeldReplies {
  readonly #db: SqlDatabase;
  readonly #writes: WriteQueue;

  constructor(db: SqlDatabase, writes: WriteQueue) {
    this.#db = db;
    this.#writes = writes;
  }

  hold(eventId: string, reply: HeldReply, now: number): Promise<void> {
    return this.#writes.write(() => {
      this.#db
        .insert(heldReplies)
        .values({ eventId, ...reply, heldAt: now })
        .onConflictDoUpdate({
          target: [heldReplies.eventId, heldReplies.plugin, heldReplies.offset],
          set: { messages: reply.messages, heldAt: now },
        })
        .run();
    });
  }

  async heldFor(eventId: string): Promise<HeldReply[]> {
    return this.#db
      .select({
        plugin: heldReplies.plugin,
        offset: heldReplies.offset,
        messages: heldReplies.messages,
      })
      .from(heldReplies)
      .where(eq(heldReplies.eventId, eventId))
      .orderBy(asc(heldReplies.plugin), asc(heldReplies.offset))
      .all();
  }
}
