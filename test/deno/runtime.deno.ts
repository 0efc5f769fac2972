/**
 * What differs on Deno, tested under Deno: the platform adapter (node:sqlite storage, Deno.serve
 * with its body cap), a database shared with Bun, the webhook's size cap, and hot reload through
 * node:fs watch and module Workers. Everything real: SQLite files, HTTP on loopback, the test kit.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { eq, sql } from "drizzle-orm";
import { createPluginsDir, envelope, event, startTestBot } from "../../src/dev/testing/mod.ts";
import { platform } from "../../src/platform/mod.ts";
import { MIGRATIONS_FOLDER, openDatabase } from "../../src/storage/sqlite/database.ts";
import { users } from "../../src/storage/sqlite/schema.ts";
import { Deno } from "./deno-api.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BUN = join(ROOT, "node_modules/.bin/bun");
const PEER = join(ROOT, "test/deno/fixtures/db-peer.ts");

function scratchDir(): { dir: string; [Symbol.dispose](): void } {
  const dir = mkdtempSync(join(tmpdir(), "hotline-deno-"));
  return { dir, [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The records drizzle's migrator leaves for every migration in the journal, oldest first. */
function journalMigrations(): Array<{ hash: string; created_at: number }> {
  const journal = JSON.parse(
    readFileSync(join(MIGRATIONS_FOLDER, "meta/_journal.json"), "utf8"),
  ) as { entries: Array<{ tag: string; when: number }> };
  return journal.entries.map((entry) => ({
    hash: createHash("sha256")
      .update(readFileSync(join(MIGRATIONS_FOLDER, `${entry.tag}.sql`), "utf8"))
      .digest("hex"),
    created_at: entry.when,
  }));
}

Deno.test({
  name: "the Deno adapter is the one in use",
  fn() {
    assert.equal(platform.name, "deno");
  },
});

interface PeerReport {
  platform: string;
  migrations: Array<{ hash: string; created_at: number }>;
  users: Array<{ userId: string; following: boolean }>;
  journalMode: string;
}

async function peer(runtime: "bun" | "deno", dataDir: string, userId: string): Promise<PeerReport> {
  const [command, args] =
    runtime === "bun"
      ? [BUN, [PEER, dataDir, userId]]
      : [Deno.execPath(), ["run", "--allow-all", "--no-check", PEER, dataDir, userId]];
  const output = await new Deno.Command(command, {
    args,
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  assert.ok(output.success, `${runtime} peer failed:\n${decode(output.stderr)}`);
  return JSON.parse(decode(output.stdout)) as PeerReport;
}

Deno.test({
  name: "one database file, migrated and written by Bun, then Deno, then Bun again",
  async fn() {
    using scratch = scratchDir();
    const bun1 = await peer("bun", scratch.dir, "U-bun-1");
    const deno = await peer("deno", scratch.dir, "U-deno");
    const bun2 = await peer("bun", scratch.dir, "U-bun-2");
    assert.deepEqual(
      [bun1, deno, bun2].map((r) => r.platform),
      ["bun", "deno", "bun"],
    );

    // Each migration is recorded once, as drizzle's migrator records it: the SQL file's SHA-256
    // and the journal's timestamp. Re-applying one would have failed ("table already exists").
    const expected = journalMigrations();
    for (const report of [bun1, deno, bun2]) assert.deepEqual(report.migrations, expected);

    // Each sees the others' rows; the boolean column reads back as a boolean on both drivers.
    assert.deepEqual(bun2.users.map((u) => u.userId).sort(), ["U-bun-1", "U-bun-2", "U-deno"]);
    assert.ok(bun2.users.every((u) => u.following === true));
    assert.deepEqual(deno.users.map((u) => u.userId).sort(), ["U-bun-1", "U-deno"]);
    assert.equal(deno.journalMode, "wal");
  },
});

Deno.test({
  name: "a database created under Deno is taken as up to date by Bun",
  async fn() {
    using scratch = scratchDir();
    const deno = await peer("deno", scratch.dir, "U-deno");
    const bun = await peer("bun", scratch.dir, "U-bun");
    // Deno applied every migration in the journal; Bun found none left to apply.
    assert.deepEqual(deno.migrations, journalMigrations());
    assert.deepEqual(bun.migrations, deno.migrations);
    assert.deepEqual(bun.users.map((u) => u.userId).sort(), ["U-bun", "U-deno"]);
  },
});

Deno.test({
  name: "node:sqlite transactions behave as bun:sqlite's: rollback on throw, savepoints, binding",
  fn() {
    using scratch = scratchDir();
    const handle = openDatabase(scratch.dir);
    try {
      const { db } = handle;
      const count = () => db.select().from(users).all().length;
      const add = (tx: typeof db, userId: string) =>
        tx.insert(users).values({ userId, updatedAt: 1 }).run();

      assert.throws(
        () =>
          db.transaction(
            (tx) => {
              add(tx, "U-rolled-back");
              throw new Error("boom");
            },
            { behavior: "immediate" },
          ),
        /boom/,
      );
      assert.equal(count(), 0, "a throwing transaction left its insert behind");

      db.transaction((tx) => {
        add(tx, "U-outer");
        assert.throws(() =>
          tx.transaction((inner) => {
            add(inner, "U-inner");
            throw new Error("inner only");
          }),
        );
      });
      assert.deepEqual(
        db
          .select({ id: users.userId })
          .from(users)
          .all()
          .map((u) => u.id),
        ["U-outer"],
      );

      // bun:sqlite binds booleans as 1/0; node:sqlite alone rejects them. (A raw `get` is a row
      // array on both drivers: drizzle's bun-sqlite session reads it with `values`.)
      assert.deepEqual(db.get(sql`SELECT ${true} AS t, ${false} AS f`), [1, 0]);
      db.update(users).set({ following: true }).where(eq(users.userId, "U-outer")).run();
      assert.equal(db.select().from(users).get()?.following, true);
    } finally {
      handle.close();
    }
  },
});

Deno.test({
  name: "the webhook's size cap holds on Deno.serve: declared and chunked bodies over it get 413",
  async fn() {
    const LIMIT = 4096;
    const bot = await startTestBot({ env: { WEBHOOK_MAX_BODY_BYTES: String(LIMIT) } });
    try {
      const stored = () => bot.storedCount();

      const small = event.follow();
      const ok = await bot.send(small);
      assert.equal(ok.status, 200, await ok.text());
      assert.equal(await stored(), 1);

      // A declared length over the cap is refused before the body is read, as on Bun, by the
      // webhook itself (its JSON error: the answer is logged and counted).
      const padded = JSON.stringify(envelope([event.follow()])).padEnd(LIMIT + 1, " ");
      const declared = await bot.post(padded);
      assert.equal(declared.status, 413);
      assert.deepEqual(await declared.json(), { error: `request body exceeds ${LIMIT} bytes` });

      // A chunked body (no Content-Length) that would go on for 64 MiB: the 413 must come long
      // before it ends. (The client has pulled about 2 MiB by then: what the loopback socket
      // buffers hold; the server itself stops reading just past the cap, see read-body.ts.)
      let pulled = 0;
      const chunk = new TextEncoder().encode(" ".repeat(1024));
      const endless = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (pulled >= 64 << 20) return controller.close();
          pulled += chunk.byteLength;
          controller.enqueue(chunk);
        },
      });
      const chunked = await fetch(bot.webhookUrl, {
        method: "POST",
        headers: { "x-line-signature": "c2lnbmVk", "content-type": "application/json" },
        body: endless,
        duplex: "half",
      } as RequestInit);
      assert.equal(chunked.status, 413);
      // The webhook's own streaming check answered (its JSON error), not only the server's.
      assert.deepEqual(await chunked.json(), { error: `request body exceeds ${LIMIT} bytes` });
      assert.ok(pulled < 4 << 20, `the server read on past the cap: ${pulled} bytes pulled`);
      assert.equal(await stored(), 1, "something over the cap was stored");
    } finally {
      await bot.stop();
    }
  },
});

Deno.test({
  name: "plugin routes get the server's cap too (Bun's server enforces it on every route)",
  async fn() {
    const LIMIT = 4096;
    const plugins = createPluginsDir();
    plugins.write(
      "sink.ts",
      `import { definePlugin } from "hotline";
export default definePlugin({
  name: "sink",
  on: { "message:text": () => {} },
  setup(ctx) {
    ctx.route("POST", "/size", async (request) => new Response(String((await request.arrayBuffer()).byteLength)));
  },
});
`,
    );
    const bot = await startTestBot({
      pluginsDir: plugins.dir,
      env: { WEBHOOK_MAX_BODY_BYTES: String(LIMIT) },
    });
    try {
      const url = `${bot.url}/plugins/sink/size`;
      const under = await fetch(url, { method: "POST", body: new Uint8Array(LIMIT) });
      assert.equal(under.status, 200);
      assert.equal(await under.text(), String(LIMIT));

      const over = await fetch(url, { method: "POST", body: new Uint8Array(LIMIT + 1) });
      assert.equal(over.status, 413);
      await over.body?.cancel();

      const stream = new Blob([new Uint8Array(LIMIT * 4)]).stream();
      const chunked = await fetch(url, {
        method: "POST",
        body: stream,
        duplex: "half",
      } as RequestInit);
      assert.equal(chunked.status, 413);
      await chunked.body?.cancel();
    } finally {
      await bot.stop();
      plugins.remove();
    }
  },
});

Deno.test({
  name: "hot reload on Deno: a plugin written, edited and deleted while the bot runs",
  async fn() {
    const plugins = createPluginsDir();
    const bot = await startTestBot({ pluginsDir: plugins.dir, tuning: { watch: true } });
    const source = (answer: string) => `import { definePlugin } from "hotline";
export default definePlugin({
  name: "hot",
  on: { "message:text": (event, ctx) => ctx.reply("${answer}: " + event.message.text) },
});
`;
    try {
      const loaded = bot.waitForPlugin((e) => e.type === "loaded" && e.name === "hot");
      plugins.write("hot.ts", source("v1"));
      await loaded;
      const first = event.text("one");
      await bot.deliver(first);
      assert.deepEqual(bot.repliesTo(first), [{ type: "text", text: "v1: one" }]);

      const swapped = bot.waitForPlugin((e) => e.type === "loaded" && e.name === "hot");
      plugins.write("hot.ts", source("v2"));
      await swapped;
      const second = event.text("two");
      await bot.deliver(second);
      assert.deepEqual(bot.repliesTo(second), [{ type: "text", text: "v2: two" }]);

      const unloaded = bot.waitForPlugin((e) => e.type === "unloaded" && e.name === "hot");
      rmSync(join(plugins.dir, "hot.ts"));
      await unloaded;
      const third = event.text("three");
      await bot.deliver(third);
      assert.deepEqual(bot.repliesTo(third), []);
    } finally {
      await bot.stop();
      plugins.remove();
    }
  },
});
