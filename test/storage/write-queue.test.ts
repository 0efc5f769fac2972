import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { platform, type SqliteHandle } from "../../src/platform/mod.ts";
import { databasePath, openDatabase } from "../../src/storage/sqlite/database.ts";
import { WriteQueue } from "../../src/storage/sqlite/write-queue.ts";

let dataDir: string;
let handle: SqliteHandle;
/** Another connection to the same file: it sees only what was committed. */
let other: SqliteHandle;
let writes: WriteQueue;

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), "hotline-writes-"));
  handle = openDatabase(dataDir);
  handle.exec("create table t (v integer not null unique)");
  other = platform.openSqlite(databasePath(dataDir));
  other.exec("PRAGMA busy_timeout = 5000");
  writes = new WriteQueue(handle.db);
});
afterEach(() => {
  other.close();
  handle.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const insert = (v: number) => () => handle.db.run(sql`insert into t (v) values (${v})`);
const committed = () =>
  other.db.all<{ v: number }>(sql`select v from t order by v`).map((row) => row.v);

describe("WriteQueue", () => {
  test("writes queued in one turn commit together, and each resolves after the commit", async () => {
    const seenBySecond: number[][] = [];
    const first = writes.write(insert(1));
    const second = writes.write(() => {
      insert(2)();
      // The first write is not committed yet: both are in one transaction.
      seenBySecond.push(committed());
      return "second";
    });
    expect(committed()).toEqual([]);
    const firstSeen = first.then(() => committed());
    expect(await second).toBe("second");
    expect(seenBySecond).toEqual([[]]);
    expect(await firstSeen).toEqual([1, 2]);
  });

  test("a write that throws is rejected alone; the others commit without it", async () => {
    const results = await Promise.allSettled([
      writes.write(insert(1)),
      writes.write(() => {
        insert(2)();
        insert(1)(); // unique violation: this write's insert of 2 must roll back too
      }),
      writes.write(insert(3)),
    ]);
    expect(results.map((result) => result.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    const reason = (results[1] as PromiseRejectedResult).reason as Error;
    expect(`${reason.message} ${String(reason.cause)}`).toMatch(/UNIQUE/i);
    expect(committed()).toEqual([1, 3]);
  });

  test("when the transaction cannot start, every write in it is rejected", async () => {
    handle.exec("PRAGMA busy_timeout = 0");
    other.exec("BEGIN IMMEDIATE");
    const results = await Promise.allSettled([writes.write(insert(1)), writes.write(insert(2))]);
    other.exec("ROLLBACK");
    expect(results.map((result) => result.status)).toEqual(["rejected", "rejected"]);
    expect(String((results[0] as PromiseRejectedResult).reason)).toMatch(/locked|busy/i);
    // Nothing half-done: the queue takes writes again.
    await writes.write(insert(3));
    expect(committed()).toEqual([3]);
  });
});

describe("WriteQueue with a WAL file: durability off the event loop", () => {
  const walFile = () => `${databasePath(dataDir)}-wal`;

  /** An fsync that records what was committed when it started and finishes when told. */
  function controlledFsync() {
    const calls: Array<{ committedAtStart: number[]; finish(error: Error | null): void }> = [];
    let onCall: (() => void) | undefined;
    return {
      calls,
      fsync(_fd: number, done: (error: Error | null) => void) {
        calls.push({ committedAtStart: committed(), finish: done });
        onCall?.();
      },
      /** Resolves once the n-th fsync has started. */
      started(n: number): Promise<void> {
        return new Promise((resolve) => {
          const check = () => {
            if (calls.length >= n) resolve();
            else onCall = check;
          };
          check();
        });
      },
    };
  }
  /** Lets the queue's pending turn (setImmediate, queued before this one) run first. */
  const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

  test("the connection skips its own fsync; a write resolves after an fsync that began after its commit", async () => {
    const disk = controlledFsync();
    const queue = new WriteQueue(handle.db, { walFile: walFile(), fsync: disk.fsync });
    expect(handle.db.all<{ synchronous: number }>(sql`PRAGMA synchronous`)[0]?.synchronous).toBe(1);
    const resolved: string[] = [];
    const first = queue.write(insert(1)).then(() => resolved.push("first"));
    await disk.started(1);
    expect(disk.calls[0]?.committedAtStart).toEqual([1]);

    // Queued while that fsync runs: committed only after it, and made durable by the next one.
    const second = queue.write(insert(2)).then(() => resolved.push("second"));
    await nextTurn();
    expect(committed()).toEqual([1]);
    expect(disk.calls).toHaveLength(1);
    expect(resolved).toEqual([]);

    disk.calls[0]?.finish(null);
    await first;
    expect(resolved).toEqual(["first"]);
    await disk.started(2);
    expect(disk.calls[1]?.committedAtStart).toEqual([1, 2]);
    disk.calls[1]?.finish(null);
    await second;
    expect(resolved).toEqual(["first", "second"]);
  });

  test("a failed fsync rejects the writes it was to make durable", async () => {
    const disk = controlledFsync();
    const queue = new WriteQueue(handle.db, { walFile: walFile(), fsync: disk.fsync });
    const write = queue.write(insert(1));
    await disk.started(1);
    disk.calls[0]?.finish(new Error("EIO: i/o error"));
    expect(write).rejects.toThrow("EIO");
  });

  test("close waits for the writes in flight, with the real fsync, then refuses more", async () => {
    const queue = new WriteQueue(handle.db, { walFile: walFile() });
    const write = queue.write(insert(7));
    await queue.close();
    await write;
    expect(committed()).toEqual([7]);
    expect(queue.write(insert(8))).rejects.toThrow("closed");
  });
});
