import { afterEach, beforeEach, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import type { SqliteHandle } from "../../src/platform/mod.ts";
import { databasePath, openDatabase } from "../../src/storage/sqlite/database.ts";
import { deliveries, inboxEvents, users } from "../../src/storage/sqlite/schema.ts";

let dataDir: string;
const open: SqliteHandle[] = [];

beforeEach(() => {
  dataDir = join(mkdtempSync(join(tmpdir(), "hotline-db-")), "nested", "data");
});
afterEach(() => {
  for (const handle of open.splice(0)) handle.close();
  rmSync(join(dataDir, "../.."), { recursive: true, force: true });
});

function track(handle: SqliteHandle): SqliteHandle {
  open.push(handle);
  return handle;
}

const pragma = (handle: SqliteHandle, name: string) =>
  Object.values(handle.db.get<Record<string, unknown>>(sql.raw(`PRAGMA ${name}`)) ?? {})[0];

test("openDatabase creates the data directory and sets durable, concurrent-reader pragmas", () => {
  const handle = track(openDatabase(dataDir));
  expect(existsSync(databasePath(dataDir))).toBe(true);
  expect(pragma(handle, "journal_mode")).toBe("wal");
  expect(pragma(handle, "synchronous")).toBe(2); // FULL
  expect(pragma(handle, "foreign_keys")).toBe(1);
  expect(pragma(handle, "busy_timeout")).toBe(5000);
});

test("reopening migrates idempotently and keeps the data", () => {
  const first = openDatabase(dataDir);
  first.db.insert(users).values({ userId: "U1", updatedAt: 1 }).run();
  first.close();
  const second = track(openDatabase(dataDir));
  expect(second.db.select().from(users).all()).toMatchObject([{ userId: "U1" }]);
});

test("deliveries must point at a stored event (foreign keys are enforced)", () => {
  const handle = track(openDatabase(dataDir));
  expect(() =>
    handle.db.insert(deliveries).values({ eventId: "nope", plugin: "p", updatedAt: 1 }).run(),
  ).toThrow(/FOREIGN KEY/);
  handle.db
    .insert(inboxEvents)
    .values({
      id: "e1",
      chatKey: "user:U1",
      type: "follow",
      timestamp: 1,
      receivedAt: 1,
      body: "{}",
    })
    .run();
  expect(() =>
    handle.db.insert(deliveries).values({ eventId: "e1", plugin: "p", updatedAt: 1 }).run(),
  ).not.toThrow();
});
