import { randomUUID } from "node:crypto";
import type { PluginFileStore, StoredFileRow } from "../plugin-files.ts";
import type { Sql } from "./connection.ts";

/**
 * The tables, in the plugins' schema beside plugin tables. A file's chunks hang off a `blob` id
 * (its upload's) rather than its digest, so that naming a finished upload moves no bytes: commit
 * only inserts the `plugin_files` row. Names without "__" are out of every plugin's prefix.
 */
export function pluginFileTables(schema: string): string {
  const s = `"${schema}"`;
  return `
    create table if not exists ${s}.plugin_files (
      plugin text not null,
      sha256 text not null,
      size bigint not null,
      blob uuid not null unique,
      created_at bigint not null,
      primary key (plugin, sha256)
    );
    create table if not exists ${s}.plugin_file_uploads (
      id uuid primary key,
      plugin text not null,
      started_at bigint not null,
      touched_at bigint not null
    );
    create index if not exists plugin_file_uploads_touched_at
      on ${s}.plugin_file_uploads (touched_at);
    create table if not exists ${s}.plugin_file_chunks (
      blob uuid not null,
      idx integer not null,
      bytes bytea not null,
      primary key (blob, idx)
    );
  `;
}

/** The client hands bytea out as Buffers, often views of a larger pool: a worker gets exact bytes. */
const exact = (bytes: Uint8Array) => new Uint8Array(bytes);

/**
 * Plugins' files on PostgreSQL, on the plugin state's pool. An upload's row is locked by each
 * chunk written to it, so dropping an upload (abort, prune) waits for a write under way and then
 * sees its chunk: no chunk outlives its upload unnamed.
 */
export class PostgresPluginFiles implements PluginFileStore {
  readonly #sql: Sql;
  readonly #files: string;
  readonly #uploads: string;
  readonly #chunks: string;

  constructor(sql: Sql, schema: string) {
    this.#sql = sql;
    this.#files = `"${schema}".plugin_files`;
    this.#uploads = `"${schema}".plugin_file_uploads`;
    this.#chunks = `"${schema}".plugin_file_chunks`;
  }

  async begin(plugin: string, now: number): Promise<string> {
    const id = randomUUID();
    await this.#sql.unsafe(
      `insert into ${this.#uploads} (id, plugin, started_at, touched_at) values ($1, $2, $3, $3)`,
      [id, plugin, now],
    );
    return id;
  }

  async write(upload: string, index: number, bytes: Uint8Array, now: number): Promise<void> {
    const rows = await this.#sql.unsafe(
      `with upload as (update ${this.#uploads} set touched_at = $4 where id = $1 returning id)
       insert into ${this.#chunks} (blob, idx, bytes) select id, $2, $3 from upload returning idx`,
      [upload, index, bytes, now],
    );
    if (rows.length === 0) throw gone();
  }

  async commit(plugin: string, upload: string, file: StoredFileRow, now: number): Promise<void> {
    await this.#sql.begin(async (tx) => {
      const started = await tx.unsafe(
        `delete from ${this.#uploads} where id = $1 and plugin = $2 returning id`,
        [upload, plugin],
      );
      if (started.length === 0) throw gone();
      // Identical bytes committed meanwhile by another put: this waits for it, then keeps its row.
      const named = await tx.unsafe(
        `insert into ${this.#files} (plugin, sha256, size, blob, created_at)
         values ($1, $2, $3, $4, $5) on conflict (plugin, sha256) do nothing returning blob`,
        [plugin, file.sha256, file.size, upload, now],
      );
      if (named.length === 0)
        await tx.unsafe(`delete from ${this.#chunks} where blob = $1`, [upload]);
    });
  }

  async abort(upload: string): Promise<void> {
    await this.#sql.begin(async (tx) => {
      // No row: committed (its chunks are a file's now) or pruned (its chunks went with it).
      const dropped = await tx.unsafe(`delete from ${this.#uploads} where id = $1 returning id`, [
        upload,
      ]);
      if (dropped.length > 0)
        await tx.unsafe(`delete from ${this.#chunks} where blob = $1`, [upload]);
    });
  }

  async size(plugin: string, sha256: string): Promise<number | undefined> {
    const [row] = await this.#sql.unsafe(
      `select size from ${this.#files} where plugin = $1 and sha256 = $2`,
      [plugin, sha256],
    );
    return row ? Number(row.size) : undefined;
  }

  async chunk(plugin: string, sha256: string, index: number): Promise<Uint8Array | undefined> {
    const [row] = await this.#sql.unsafe(
      `select c.bytes from ${this.#files} f join ${this.#chunks} c on c.blob = f.blob
       where f.plugin = $1 and f.sha256 = $2 and c.idx = $3`,
      [plugin, sha256, index],
    );
    return row ? exact(row.bytes as Uint8Array) : undefined;
  }

  async delete(plugin: string, sha256: string): Promise<boolean> {
    return this.#sql.begin(async (tx) => {
      const [row] = await tx.unsafe(
        `delete from ${this.#files} where plugin = $1 and sha256 = $2 returning blob`,
        [plugin, sha256],
      );
      if (!row) return false;
      await tx.unsafe(`delete from ${this.#chunks} where blob = $1`, [row.blob]);
      return true;
    });
  }

  async list(plugin: string): Promise<StoredFileRow[]> {
    const rows = await this.#sql.unsafe(
      `select sha256, size from ${this.#files} where plugin = $1 order by sha256`,
      [plugin],
    );
    return rows.map((row) => ({ sha256: row.sha256 as string, size: Number(row.size) }));
  }

  async uploads(plugin: string): Promise<number> {
    const [row] = await this.#sql.unsafe(
      `select count(*)::int as n from ${this.#uploads} where plugin = $1`,
      [plugin],
    );
    return Number(row?.n ?? 0);
  }

  async pruneUploads(before: number): Promise<number> {
    return this.#sql.begin(async (tx) => {
      const stale = await tx.unsafe(
        `delete from ${this.#uploads} where touched_at < $1 returning id`,
        [before],
      );
      const ids = stale.map((row) => row.id as string);
      if (ids.length > 0)
        await tx.unsafe(`delete from ${this.#chunks} where blob = any($1::uuid[])`, [ids]);
      return ids.length;
    });
  }
}

function gone(): Error {
  return new Error("the upload is gone: it was aborted, or abandoned for an hour and removed");
}
