import type { RichMenuLink, RichMenuRecord, RichMenuStore } from "../rich-menus.ts";
import type { Sql } from "./connection.ts";
import { DEFAULT_CHANNEL } from "./shared-state.ts";

/**
 * The advisory lock's first key (arbitrary, fixed); the second is the schema's and the channel's,
 * so that bots in other schemas of the same database, and other channels' syncs, do not wait for
 * each other (the default channel's is the schema's alone, as before there were channels).
 */
const LOCK_CLASS = 0x726d; // "rm"

/**
 * One channel's rich menu records on PostgreSQL, shared by every instance. `exclusive` holds a session
 * advisory lock on a connection of its own for as long as the work runs: an instance that dies
 * mid-sync loses its connection and with it the lock, and the next one finds what it recorded.
 */
export class PostgresRichMenus implements RichMenuStore {
  readonly #sql: Sql;
  readonly #channel: string;

  constructor(sql: Sql, channel = DEFAULT_CHANNEL) {
    this.#sql = sql;
    this.#channel = channel;
  }

  of(channel: string): PostgresRichMenus {
    return new PostgresRichMenus(this.#sql, channel);
  }

  async exclusive<T>(work: () => Promise<T>): Promise<T> {
    const suffix = this.#channel === DEFAULT_CHANNEL ? "" : `/${this.#channel}`;
    const connection = await this.#sql.reserve();
    try {
      await connection`
        select pg_advisory_lock(${LOCK_CLASS}, hashtext(current_schema()::text || ${suffix}::text))`;
      try {
        return await work();
      } finally {
        await connection`
          select pg_advisory_unlock(${LOCK_CLASS}, hashtext(current_schema()::text || ${suffix}::text))`;
      }
    } finally {
      connection.release();
    }
  }

  records(): Promise<RichMenuRecord[]> {
    return this.#sql<RichMenuRecord[]>`
      select rich_menu_id as "richMenuId", plugin, name, content_hash as "contentHash",
        image_uploaded as "imageUploaded", alias, is_default as "isDefault"
      from rich_menus where channel = ${this.#channel}
      order by created_at, rich_menu_id`;
  }

  async save(record: RichMenuRecord, now: number): Promise<void> {
    const { richMenuId, plugin, name, contentHash, imageUploaded, alias, isDefault } = record;
    await this.#sql`
      insert into rich_menus (rich_menu_id, channel, plugin, name, content_hash, image_uploaded,
        alias, is_default, created_at, updated_at)
      values (${richMenuId}, ${this.#channel}, ${plugin}, ${name}, ${contentHash},
        ${imageUploaded}, ${alias}, ${isDefault}, ${now}, ${now})
      on conflict (rich_menu_id) do update set plugin = excluded.plugin, name = excluded.name,
        content_hash = excluded.content_hash, image_uploaded = excluded.image_uploaded,
        alias = excluded.alias, is_default = excluded.is_default, updated_at = excluded.updated_at`;
  }

  async remove(richMenuId: string): Promise<void> {
    await this.#sql`
      delete from rich_menus where channel = ${this.#channel} and rich_menu_id = ${richMenuId}`;
  }

  async link(userId: string, link: RichMenuLink, now: number): Promise<void> {
    await this.#sql`
      insert into rich_menu_links (channel, user_id, plugin, name, updated_at)
      values (${this.#channel}, ${userId}, ${link.plugin}, ${link.name}, ${now})
      on conflict (channel, user_id) do update set plugin = excluded.plugin,
        name = excluded.name, updated_at = excluded.updated_at`;
  }

  async linkOf(userId: string): Promise<RichMenuLink | undefined> {
    const [row] = await this.#sql<RichMenuLink[]>`
      select plugin, name from rich_menu_links
      where channel = ${this.#channel} and user_id = ${userId}`;
    return row;
  }

  async unlink(userId: string): Promise<void> {
    await this.#sql`
      delete from rich_menu_links where channel = ${this.#channel} and user_id = ${userId}`;
  }

  async linkedUsers(link: RichMenuLink, limit: number, after?: string): Promise<string[]> {
    // User ids are ASCII: "C" order is the order SQLite compares them in.
    const rows = await this.#sql<Array<{ userId: string }>>`
      select user_id as "userId" from rich_menu_links
      where channel = ${this.#channel} and plugin = ${link.plugin} and name = ${link.name}
        and user_id collate "C" > ${after ?? ""}
      order by user_id collate "C" limit ${limit}`;
    return rows.map((row) => row.userId);
  }

  async dropLinks(link: RichMenuLink): Promise<void> {
    await this.#sql`
      delete from rich_menu_links
      where channel = ${this.#channel} and plugin = ${link.plugin} and name = ${link.name}`;
  }
}
