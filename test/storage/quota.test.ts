import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManualClock } from "../../src/core/clock.ts";
import { silentLogger } from "../../src/logging/logger.ts";
import { PostgresStore } from "../../src/storage/postgres/postgres-store.ts";
import { SqliteStore } from "../../src/storage/sqlite/sqlite-store.ts";
import type { Store } from "../../src/storage/store.ts";
import { freshSchema, TEST_DATABASE_URL } from "../helpers/postgres.ts";
import { received } from "./store-contract.ts";

interface Driver {
  /** A store on the same data as the last one (a restart); the first call opens fresh data. */
  open(): Promise<Store>;
  cleanup(): Promise<void>;
}

const clock = new ManualClock();

function sqlite(): Driver {
  const dir = mkdtempSync(join(tmpdir(), "hotline-quota-"));
  return {
    open: async () => SqliteStore.open(dir, clock),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

function postgres(): Driver {
  const schema = freshSchema();
  return {
    open: () =>
      PostgresStore.open({ databaseUrl: schema.url, clock, log: silentLogger, maxAttempts: 5 }),
    cleanup: () => schema.drop(),
  };
}

const drivers: Array<[string, () => Driver, boolean]> = [
  ["SQLite", sqlite, true],
  ["PostgreSQL", postgres, Boolean(TEST_DATABASE_URL)],
];

for (const [name, make, enabled] of drivers) {
  describe.skipIf(!enabled)(`quota records (${name})`, () => {
    const driver = enabled ? make() : undefined;
    afterAll(() => driver?.cleanup());

    test("counts add up per month, plugin and kind, and survive a restart", async () => {
      const first = await (driver as Driver).open();
      const now = clock.now();
      await first.quota.addSent(
        "default",
        "2026-01",
        { plugin: "echo", kind: "push", count: 2 },
        now,
      );
      await first.quota.addSent(
        "default",
        "2026-01",
        { plugin: "echo", kind: "push", count: 3 },
        now,
      );
      await first.quota.addSent(
        "default",
        "2026-01",
        { plugin: "echo", kind: "reply", count: 1 },
        now,
      );
      await first.quota.addSent(
        "default",
        "2025-12",
        { plugin: "echo", kind: "push", count: 9 },
        now,
      );
      await first.quota.addSent("shop", "2026-01", { plugin: "echo", kind: "push", count: 4 }, now);
      await first.close();
      const store = await (driver as Driver).open();
      expect(await store.quota.sent("default", "2026-01")).toEqual([
        { plugin: "echo", kind: "push", count: 5 },
        { plugin: "echo", kind: "reply", count: 1 },
      ]);
      expect(await store.quota.sent("shop", "2026-01")).toEqual([
        { plugin: "echo", kind: "push", count: 4 },
      ]);
      expect(await store.quota.channels("2026-01")).toEqual(["default", "shop"]);
      await store.close();
    });

    test("a pause holds until it runs out or is resumed, across a restart", async () => {
      const first = await (driver as Driver).open();
      const now = clock.now();
      const pause = { reason: "monthly limit", pausedAt: now, until: now + 1000 };
      expect(await first.quota.pause("default", now)).toBeUndefined();
      await first.quota.setPause("default", pause);
      await first.close();
      const store = await (driver as Driver).open();
      expect(await store.quota.pause("default", now)).toEqual(pause);
      expect(await store.quota.pause("shop", now)).toBeUndefined();
      expect(await store.quota.pause("default", now + 1000)).toBeUndefined();
      expect(await store.quota.resume("default")).toBe(true);
      expect(await store.quota.resume("default")).toBe(false);
      expect(await store.quota.pause("default", now)).toBeUndefined();
      await store.close();
    });

    test("held replies wait for their tap, across a restart", async () => {
      const first = await (driver as Driver).open();
      const now = clock.now();
      const [event] = await first.ingest([received()], () => ["slow"]);
      const id = event?.parsed.id as string;
      const messages = (text: string) => JSON.stringify([{ type: "text", text }]);
      await first.held.hold(id, { plugin: "slow", offset: 0, messages: messages("a") }, now);
      await first.held.hold(id, { plugin: "slow", offset: 1, messages: messages("b") }, now);
      await first.held.hold(id, { plugin: "slow", offset: 1, messages: messages("b2") }, now);
      await first.close();
      const store = await (driver as Driver).open();
      const held = await store.held.heldFor(id);
      expect(held.map((h) => [h.plugin, h.offset, JSON.parse(h.messages)[0].text])).toEqual([
        ["slow", 0, "a"],
        ["slow", 1, "b2"],
      ]);
      await store.close();
    });
  });
}
