import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import type { SqliteHandle } from "../../src/platform/mod.ts";
import { connectDatabase, openDatabase } from "../../src/storage/database.ts";
import { WriteQueue } from "../../src/storage/write-queue.ts";

let dataDir: string;
let handle: SqliteHandle;
/** Another connection to the same file: it sees only what was committed. */
let other: SqliteHandle;
let writes: WriteQueue;

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), "hotline-writes-"));
  handle = openDatabase(dataDir);
  handle.exec("create table t (v integer not null unique)");
  other = connectDatabase(dataDir);
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
