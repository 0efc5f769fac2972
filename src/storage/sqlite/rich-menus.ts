import { and, asc, eq, gt } from "drizzle-orm";
import { DEFAULT_CHANNEL } from "../../core/channel.ts";
import type { SqlDatabase } from "../../platform/mod.ts";
import type { RichMenuLink, RichMenuRecord, RichMenuStore } from "../rich-menus.ts";
import { richMenuLinks, richMenus } from "./schema.ts";
import type { WriteQueue } from "./write-queue.ts";

const linkOfUser = (channel: string, userId: string) =>
  and(eq(richMenuLinks.channel, channel), eq(richMenuLinks.userId, userId));
const linksTo = (channel: string, link: RichMenuLink) =>
  and(
    eq(richMenuLinks.channel, channel),
    eq(richMenuLinks.plugin, link.plugin),
    eq(richMenuLinks.name, link.name),
  );

/**
 * One channel's rich menu records in `hotline.db`. One process owns the file, and the plugin host
 * syncs one plugin at a time in each channel (whose records are apart from the others'):
 * `exclusive` has no one else to wait for. Writes go through the write queue, durable when they
 * resolve.
 */
export class SqliteRichMenus implements RichMenuStore {
  readonly #db: SqlDatabase;
  readonly #writes: WriteQueue;
  readonly #channel: string;

  constructor(db: SqlDatabase, writes: WriteQueue, channel = DEFAULT_CHANNEL) {
    this.#db = db;
    this.#writes = writes;
    this.#channel = channel;
  }

  of(channel: string): SqliteRichMenus {
    return new SqliteRichMenus(this.#db, this.#writes, channel);
  }

  exclusive<T>(work: () => Promise<T>): Promise<T> {
    return work();
  }

  async records(): Promise<RichMenuRecord[]> {
    return this.#db
      .select({
        richMenuId: richMenus.richMenuId,
        plugin: richMenus.plugin,
        name: richMenus.name,
        contentHash: richMenus.contentHash,
        imageUploaded: richMenus.imageUploaded,
        alias: richMenus.alias,
        isDefault: richMenus.isDefault,
      })
      .from(richMenus)
      .where(eq(richMenus.channel, this.#channel))
      .orderBy(asc(richMenus.createdAt), asc(richMenus.richMenuId))
      .all();
  }

  save(record: RichMenuRecord, now: number): Promise<void> {
    const { richMenuId, ...fields } = record;
    return this.#writes.write(() => {
      this.#db
        .insert(richMenus)
        .values({ ...record, channel: this.#channel, createdAt: now, updatedAt: now })
        .onConflictDoUpdate({ target: richMenus.richMenuId, set: { ...fields, updatedAt: now } })
        .run();
    });
  }

  remove(richMenuId: string): Promise<void> {
    return this.#writes.write(() => {
      this.#db
        .delete(richMenus)
        .where(and(eq(richMenus.channel, this.#channel), eq(richMenus.richMenuId, richMenuId)))
        .run();
    });
  }

  link(userId: string, link: RichMenuLink, now: number): Promise<void> {
    return this.#writes.write(() => {
      this.#db
        .insert(richMenuLinks)
        .values({ channel: this.#channel, userId, ...link, updatedAt: now })
        .onConflictDoUpdate({
          target: [richMenuLinks.channel, richMenuLinks.userId],
          set: { ...link, updatedAt: now },
        })
        .run();
    });
  }

  async linkOf(userId: string): Promise<RichMenuLink | undefined> {
    return this.#db
      .select({ plugin: richMenuLinks.plugin, name: richMenuLinks.name })
      .from(richMenuLinks)
      .where(linkOfUser(this.#channel, userId))
      .get();
  }

  unlink(userId: string): Promise<void> {
    return this.#writes.write(() => {
      this.#db.delete(richMenuLinks).where(linkOfUser(this.#channel, userId)).run();
    });
  }

  async linkedUsers(link: RichMenuLink, limit: number, after?: string): Promise<string[]> {
    const rows = this.#db
      .select({ userId: richMenuLinks.userId })
      .from(richMenuLinks)
      .where(
        after === undefined
          ? linksTo(this.#channel, link)
          : and(linksTo(this.#channel, link), gt(richMenuLinks.userId, after)),
      )
      .orderBy(asc(richMenuLinks.userId))
      .limit(limit)
      .all();
    return rows.map((row) => row.userId);
  }

  dropLinks(link: RichMenuLink): Promise<void> {
    return this.#writes.write(() => {
      this.#db.delete(richMenuLinks).where(linksTo(this.#channel, link)).run();
    });
  }
}
