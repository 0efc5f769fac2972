/**
 * The PostgreSQL store under Deno (the `postgres` client on Deno's node:net), through the bun:test
 * shim and unchanged: the Store contract, several instances on one database (deliveries and
 * schedules), the plugins' file store (its contract on both stores, two instances sharing files)
 * and a SQLite-only plugin refused there. Then what only a real bot shows: a bot started under
 * Deno with DATABASE_URL, answering a signed webhook through the LINE stand-in, its events and its
 * plugin's state in PostgreSQL across a restart, and work announced by one instance waking
 * another (LISTEN/NOTIFY).
 *
 * Needs TEST_DATABASE_URL, decided as for `bun test` (test/helpers/postgres.ts): without it every
 * test here is skipped, loudly, unless HOTLINE_REQUIRE_POSTGRES=1 (CI), which fails the file
 * instead; set, but with a server that does not answer or refuses the login, the file fails at
 * once.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { ManualClock } from "../../src/core/clock.ts";
import { parseEvent } from "../../src/core/parsed-event.ts";
import { createPluginsDir, event, startTestBot, user } from "../../src/dev/testing/mod.ts";
import { silentLogger } from "../../src/logging/logger.ts";
import { platform } from "../../src/platform/mod.ts";
import { PostgresStore } from "../../src/storage/postgres/postgres-store.ts";
import { assertPostgresAnswers, freshSchema, TEST_DATABASE_URL } from "../helpers/postgres.ts";
import { runBunTestFile } from "./bun-test.ts";
import { Deno } from "./deno-api.ts";

await assertPostgresAnswers();
await runBunTestFile("storage/postgres-store", () => import("../storage/postgres-store.test.ts"));
await runBunTestFile(
  "storage/postgres-instances",
  () => import("../storage/postgres-instances.test.ts"),
);
await runBunTestFile(
  "storage/postgres-schedules",
  () => import("../storage/postgres-schedules.test.ts"),
);
await runBunTestFile("plugin-host/file-store", () => import("../plugin-host/file-store.test.ts"), {
  "PostgreSQL > a put() under way when its worker goes is dropped with the worker":
    "polls with Bun.sleep",
});
await runBunTestFile("sdk/sqlite-only-plugin", () => import("../sdk/sqlite-only-plugin.test.ts"));

/** Counts the messages of each user in its key-value store, and says how many so far. */
const COUNTER = `import { definePlugin } from "hotline";
export default definePlugin({
  name: "counter",
  on: {
    "message:text": async (event, ctx) => {
      const key = "count:" + event.source.userId;
      const n = ((await ctx.kv.get(key)) ?? 0) + 1;
      await ctx.kv.set(key, n);
      await ctx.reply(n + ": " + event.message.text);
    },
  },
});
`;

Deno.test({
  name: "a bot on PostgreSQL under Deno: a signed webhook stored there, the plugin's reply through the stand-in, its state and the event kept across a restart",
  ignore: !TEST_DATABASE_URL,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    assert.equal(platform.name, "deno");
    const schema = freshSchema();
    const plugins = createPluginsDir();
    plugins.write("counter.ts", COUNTER);
    const dataDir = mkdtempSync(join(tmpdir(), "hotline-deno-pg-"));
    // The same data directory and DATABASE_URL for both starts: the second is a restart.
    const start = () =>
      startTestBot({ pluginsDir: plugins.dir, dataDir, env: { DATABASE_URL: schema.url } });
    const sql = postgres(TEST_DATABASE_URL as string, { max: 1, onnotice: () => {} });
    const table = (name: string) =>
      sql(`${new URL(schema.url).searchParams.get("schema")}.${name}`);
    try {
      const first = await start();
      const alice = user(`U${"a1".repeat(16)}`);
      const hello = event.text("hello from Deno", { chat: alice });
      try {
        assert.ok(
          first.hotline.store instanceof PostgresStore,
          "DATABASE_URL did not pick PostgreSQL",
        );
        const answer = await first.send(hello);
        assert.equal(answer.status, 200, await answer.text());
        assert.deepEqual(await first.waitForReply(hello), [
          { type: "text", text: "1: hello from Deno" },
        ]);
        await first.settle();
      } finally {
        await first.stop();
      }

      // Read with SQL, not through the store: the event and its delivery are PostgreSQL rows.
      const events = await sql<Array<{ id: string; status: string }>>`
        select id, status from ${table("inbox_events")}`;
      assert.deepEqual([...events], [{ id: hello.webhookEventId, status: "done" }]);
      const deliveries = await sql<Array<{ plugin: string; status: string }>>`
        select plugin, status from ${table("deliveries")}`;
      assert.deepEqual([...deliveries], [{ plugin: "counter", status: "done" }]);

      const second = await start();
      try {
        // LINE sends the same event again (a redelivery): stored once, not handled twice.
        const again = await second.send(hello);
        assert.equal(again.status, 200, await again.text());
        await second.settle();
        await second.expectNoReply(hello);
        assert.equal(await second.storedCount(), 1);
        // The plugin's key-value store survived the restart: the count goes on.
        const next = event.text("and again", { chat: alice });
        await second.deliver(next);
        assert.deepEqual(second.repliesTo(next), [{ type: "text", text: "2: and again" }]);
      } finally {
        await second.stop();
      }
    } finally {
      await sql.end();
      await schema.drop();
      plugins.remove();
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
});

Deno.test({
  name: "work ingested by one instance wakes another at once (LISTEN/NOTIFY), not at its next poll",
  ignore: !TEST_DATABASE_URL,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const schema = freshSchema();
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    // Polls (and sweeps) once a minute: only a notification can wake the listener in time.
    const open = () =>
      PostgresStore.open({
        databaseUrl: schema.url,
        clock,
        log: silentLogger,
        maxAttempts: 3,
        sweepMs: 60_000,
      });
    const sender = await open();
    const listener = await open();
    try {
      const woken = new Promise<number>((resolve) => {
        const since = Date.now();
        const stop = listener.onWork(() => {
          stop();
          resolve(Date.now() - since);
        });
      });
      const raw = {
        type: "message",
        webhookEventId: "e-notify",
        timestamp: clock.now(),
        source: { type: "user", userId: `U${"0".repeat(32)}` },
        message: { type: "text", id: "m-notify", text: "wake up" },
      };
      const received = {
        parsed: parseEvent(raw, clock.now()),
        body: JSON.stringify(raw),
        destination: undefined,
      };
      await sender.ingest([received], () => ["p"]);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error("no notification within 5 s")), 5000);
      });
      const ms = await Promise.race([woken, timeout]).finally(() => clearTimeout(timer));
      assert.ok(ms < 5000, `woken after ${ms} ms`);
      const claim = await listener.claim({ limit: 1, plugins: new Set(["p"]), now: clock.now() });
      assert.deepEqual(claim.events[0]?.deliveries, [
        { eventId: "e-notify", plugin: "p", attempts: 0 },
      ]);
    } finally {
      await sender.close();
      await listener.close();
      await schema.drop();
    }
  },
});
