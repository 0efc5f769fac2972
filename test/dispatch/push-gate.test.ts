import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManualClock } from "../../src/core/clock.ts";
import { PushGate } from "../../src/dispatch/push-policy.ts";
import { silentLogger } from "../../src/logging/logger.ts";
import { SqliteStore } from "../../src/storage/sqlite/sqlite-store.ts";

const dir = mkdtempSync(join(tmpdir(), "hotline-push-gate-"));
const clock = new ManualClock();
const store = SqliteStore.open(dir, clock);
const gate = new PushGate({
  quota: store.quota,
  clock,
  timeZone: "Asia/Tokyo",
  policyOf: () => "allow",
  log: silentLogger,
});
afterAll(async () => {
  await gate.flush();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const replies = (rows: Array<{ plugin: string; kind: string; count: number }>) =>
  rows.find((row) => row.plugin === "echo" && row.kind === "reply")?.count ?? 0;

test("reply counts are read at once, written on flush, and a read beside a flush counts each once", async () => {
  const month = gate.month();
  for (let i = 0; i < 3; i++) await gate.sent("default", "echo", "reply", 1);
  await gate.sent("default", "echo", "push", 2);
  // Pushes are in the store at once; replies only in memory until the flush.
  expect(replies(await store.quota.sent("default", month))).toBe(0);
  expect(await gate.pushedThisMonth("default", "echo")).toBe(2);
  expect(replies(await gate.sentIn("default", month))).toBe(3);

  await gate.sent("default", "echo", "reply", 1);
  const [, during] = await Promise.all([gate.flush(), gate.sentIn("default", month)]);
  expect(replies(during)).toBe(4);
  expect(replies(await store.quota.sent("default", month))).toBe(4);
  expect(replies(await gate.sentIn("default", month))).toBe(4);
});
