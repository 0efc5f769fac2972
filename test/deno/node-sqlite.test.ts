/**
 * The Deno storage driver (node:sqlite behind drizzle's bun-sqlite session), checked under Bun,
 * where node:sqlite exists too: the same queries on the same database file through both drivers
 * must give the same results, so `bun test` alone notices when the two drift apart.
 */
import { afterEach, beforeEach, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq, sql } from "drizzle-orm";
import { alias, blob, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { platform, type SqliteHandle } from "../../src/platform/mod.ts";
import { openNodeSqlite } from "../../src/platform/node-sqlite.ts";
import {
  databasePath,
  MIGRATIONS_FOLDER,
  openDatabase,
} from "../../src/storage/sqlite/database.ts";
import { deliveries, inboxEvents, users } from "../../src/storage/sqlite/schema.ts";

const things = sqliteTable("things", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  name: text("name").notNull(),
  flag: integer("flag", { mode: "boolean" }),
  data: blob("data", { mode: "buffer" }),
  meta: text("meta", { mode: "json" }).$type<{ tags: string[] }>(),
  parent: integer("parent"),
});

let dir: string;
let bun: SqliteHandle;
let node: SqliteHandle;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "hotline-node-sqlite-"));
  bun = openDatabase(dir);
  node = openNodeSqlite(databasePath(dir));
  bun.exec(
    "CREATE TABLE things (id integer PRIMARY KEY AUTOINCREMENT, name text NOT NULL, flag integer, data blob, meta text, parent integer)",
  );
});
afterEach(() => {
  bun.close();
  node.close();
  rmSync(dir, { recursive: true, force: true });
});

test("this is Bun, and the other driver really is node:sqlite", () => {
  expect(platform.name).toBe("bun");
  // drizzle's bun driver sets $client to the bun:sqlite Database; this one has none.
  expect((bun.db as { $client?: unknown }).$client).toBeDefined();
  expect((node.db as { $client?: unknown }).$client).toBeUndefined();
  // node:sqlite rejects a boolean parameter; only the adapter's binding makes this work.
  expect(node.db.get(sql`SELECT ${true} AS t`)).toEqual([1]);
});

test("rows written by one driver read back identically through both", () => {
  node.db
    .insert(things)
    .values([
      { name: "a", flag: true, data: Buffer.from([1, 2, 3]), meta: { tags: ["x"] } },
      { name: "b", flag: false, parent: 1 },
      { name: "c" },
    ])
    .run();
  bun.db.insert(things).values({ name: "d", flag: true, parent: 3 }).run();

  const query = (h: SqliteHandle) => h.db.select().from(things).orderBy(things.id).all();
  const viaBun = query(bun);
  expect(query(node)).toEqual(viaBun);
  expect(viaBun.map((r) => r.flag)).toEqual([true, false, null, true]);
  expect(viaBun[0]?.meta).toEqual({ tags: ["x"] });
  expect([...(query(node)[0]?.data ?? [])]).toEqual([1, 2, 3]);

  // A left join: drizzle nulls the joined side when it has no row (its nullability map).
  const parent = alias(things, "parent_thing");
  const joined = (h: SqliteHandle) =>
    h.db
      .select({ name: things.name, parent: parent.name })
      .from(things)
      .leftJoin(parent, eq(things.parent, parent.id))
      .orderBy(things.id)
      .all();
  expect(joined(node)).toEqual(joined(bun));
  expect(joined(node).map((r) => r.parent)).toEqual([null, "a", null, "c"]);

  const raw = (h: SqliteHandle) => h.db.all(sql`SELECT name, flag FROM things ORDER BY id`);
  expect(raw(node)).toEqual(raw(bun));
});

test("returning, conflict handling and run results agree", () => {
  const insert = (h: SqliteHandle, name: string) =>
    h.db
      .insert(users)
      .values({ userId: name, following: true, updatedAt: 1 })
      .onConflictDoNothing()
      .returning({ userId: users.userId })
      .all();
  expect(insert(node, "U1")).toEqual([{ userId: "U1" }]);
  expect(insert(bun, "U1")).toEqual([]);
  expect(insert(node, "U1")).toEqual([]);

  const update = (h: SqliteHandle) =>
    h.db.update(users).set({ updatedAt: 2 }).where(eq(users.userId, "U1")).run() as unknown as {
      changes: number;
    };
  expect(update(node).changes).toBe(1);
  expect(update(bun).changes).toBe(1);
  expect(node.db.select().from(users).get()).toEqual(bun.db.select().from(users).get());
});

test("transactions: a throw rolls back, savepoints nest, foreign keys hold (same as bun:sqlite)", () => {
  for (const h of [bun, node]) {
    expect(() =>
      h.db.transaction(
        (tx) => {
          tx.insert(things).values({ name: "gone" }).run();
          throw new Error("boom");
        },
        { behavior: "immediate" },
      ),
    ).toThrow("boom");
    h.db.transaction((tx) => {
      tx.insert(things)
        .values({ name: `kept by ${h === bun ? "bun" : "node"}` })
        .run();
      expect(() =>
        tx.transaction((inner) => {
          inner.insert(things).values({ name: "inner" }).run();
          throw new Error("inner");
        }),
      ).toThrow("inner");
    });
  }
  node.exec("PRAGMA foreign_keys = ON");
  expect(() =>
    node.db.insert(deliveries).values({ eventId: "missing", plugin: "p", updatedAt: 1 }).run(),
  ).toThrow(/FOREIGN KEY/);
  expect(
    bun.db
      .select({ name: things.name })
      .from(things)
      .all()
      .map((r) => r.name),
  ).toEqual(["kept by bun", "kept by node"]);
});

test("migrating through node:sqlite finds a Bun-migrated database up to date", () => {
  const before = bun.db.all(sql`SELECT hash, created_at FROM __drizzle_migrations`);
  const journal = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, "meta/_journal.json"), "utf8"));
  expect(before).toHaveLength(journal.entries.length);
  node.migrate(MIGRATIONS_FOLDER);
  expect(node.db.all(sql`SELECT hash, created_at FROM __drizzle_migrations`)).toEqual(before);
  expect(node.db.select().from(inboxEvents).all()).toEqual([]);
});

test("a fresh database migrated through node:sqlite is the same schema bun:sqlite makes", () => {
  const other = mkdtempSync(join(tmpdir(), "hotline-node-sqlite-"));
  try {
    const fresh = openNodeSqlite(databasePath(other));
    fresh.migrate(MIGRATIONS_FOLDER);
    const schema = (h: SqliteHandle) =>
      h.db.all(
        sql`SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND name <> 'things' ORDER BY name`,
      );
    expect(schema(fresh)).toEqual(schema(bun));
    expect(fresh.db.all(sql`SELECT hash, created_at FROM __drizzle_migrations`)).toEqual(
      bun.db.all(sql`SELECT hash, created_at FROM __drizzle_migrations`),
    );
    fresh.close();
  } finally {
    rmSync(other, { recursive: true, force: true });
  }
});
