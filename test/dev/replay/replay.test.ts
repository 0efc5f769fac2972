import { afterAll, beforeAll, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { replay } from "../../../src/dev/replay/replay.ts";
import {
  createPluginsDir,
  event,
  startTestBot,
  type TestBot,
  user,
} from "../../../src/dev/testing/mod.ts";

/** Both versions count each chat's messages in their kv store and answer with the count. */
const version = (body: string) => `import { definePlugin } from "hotline";
export default definePlugin({
  name: "counter",
  on: { "message:text": async (event, ctx) => {
    const chat = event.source.userId;
    const n = ((await ctx.kv.get(chat)) ?? 0) + 1;
    await ctx.kv.set(chat, n);
    const text = event.message.text;
    ${body}
  } },
});
`;
const LIVE = version(`await ctx.reply(n + ": " + text);`);
const CHANGED = version(`
    await ctx.kv.set("replayed", true);
    if (text === "boom") throw new Error("boom went the new version");
    await ctx.reply(n + ": " + (text.startsWith("a") ? text.toUpperCase() : text));
    if (text === "three") await ctx.push("and a push");`);

const ANN = `U${"a".repeat(32)}`;
const BEN = `U${"b".repeat(32)}`;
const dataDir = mkdtempSync(join(tmpdir(), "hotline-replay-live-"));
const plugins = createPluginsDir();
// Beside the live file, as an edit in progress: `<name>.next.ts` is never loaded live.
const changedFile = plugins.write("counter.next.ts", CHANGED);
plugins.write("counter.ts", LIVE);
let live: TestBot;

function storeEnv(): Record<string, string> {
  const urlFile = join(dataDir, "test-database-url");
  const url = existsSync(urlFile) ? readFileSync(urlFile, "utf8") : undefined;
  return { DATA_DIR: dataDir, PLUGINS_DIR: plugins.dir, ...(url ? { DATABASE_URL: url } : {}) };
}

async function run(...args: string[]) {
  let out = "";
  let err = "";
  const code = await replay(args, {
    env: storeEnv(),
    out: (text) => {
      out += text;
    },
    err: (text) => {
      err += text;
    },
  });
  return { code, out, err };
}

/** Everything the live store holds, as bytes (SQLite) or as rows (PostgreSQL). */
async function liveStoreDigest(): Promise<string> {
  const { DATABASE_URL: url } = storeEnv();
  const hash = createHash("sha256");
  if (!url) {
    for (const file of ["hotline.db", "hotline.db-wal", "plugins.db", "plugins.db-wal"]) {
      const path = join(dataDir, file);
      hash.update(
        `${file}:${existsSync(path) ? createHash("sha256").update(readFileSync(path)).digest("hex") : "-"}`,
      );
    }
    return hash.digest("hex");
  }
  const schema = new URL(url).searchParams.get("schema") ?? "public";
  const bare = new URL(url);
  bare.searchParams.delete("schema");
  const sql = postgres(bare.toString(), { max: 1, onnotice: () => {} });
  try {
    for (const table of ["inbox_events", "deliveries", "sessions", "schedules"]) {
      const rows = await sql.unsafe(`select * from "${schema}".${table} order by 1, 2`);
      hash.update(JSON.stringify(rows));
    }
    const kv = await sql.unsafe(`select * from "${schema}".plugin_kv order by 1, 2`);
    hash.update(JSON.stringify(kv));
  } finally {
    await sql.end();
  }
  return hash.digest("hex");
}

beforeAll(async () => {
  live = await startTestBot({ pluginsDir: plugins.dir, dataDir });
  const base = Date.now() - 86_400_000;
  // Two chats, interleaved: each chat's count must come out in its own order.
  const said: Array<[string, string]> = [
    [ANN, "one"],
    [BEN, "two"],
    [ANN, "apple"],
    [BEN, "three"],
    [ANN, "boom"],
  ];
  for (const [i, [who, text]] of said.entries())
    await live.deliver(event.text(text, { chat: user(who), timestamp: base + i * 60_000 }));
});
afterAll(async () => {
  await live.stop();
  const url = storeEnv().DATABASE_URL;
  if (url) await dropSchemas(url);
  rmSync(dataDir, { recursive: true, force: true });
  plugins.remove();
});

async function dropSchemas(url: string) {
  const schema = new URL(url).searchParams.get("schema");
  const bare = new URL(url);
  bare.searchParams.delete("schema");
  const sql = postgres(bare.toString(), { max: 1, onnotice: () => {} });
  await sql.unsafe(
    `drop schema if exists "${schema}" cascade; drop schema if exists "${schema}_plugins" cascade`,
  );
  await sql.end();
}

test("the live version replayed against itself is identical", async () => {
  expect(live.hotline.plugins.statuses().map((status) => status.file)).toEqual(["counter.ts"]);
  const { code, out, err } = await run("--plugin", "counter");
  expect(err).toContain("empty state");
  expect(code).toBe(0);
  expect(out).toContain("5 events in");
  expect(out).toContain("5 identical, 0 changed");
});

test("a changed plugin: exactly the changed answers, an error reported, nothing sent or stored", async () => {
  const sentBefore = live.line.replies.length + live.line.pushes.length;
  // The live bot's own writes done (its reply counts are written up to a second later).
  await live.settle();
  const digest = await liveStoreDigest();
  const { code, out } = await run("--plugin", changedFile);
  expect(code).toBe(0);
  const blocks =
    out
      .trim()
      .split("\n\n")[0]
      ?.split(/\n(?=\S)/) ?? [];
  expect(blocks).toHaveLength(3);
  expect(blocks[0]).toStartWith(`~ changed`);
  expect(blocks[0]).toContain(`user:${ANN}`);
  expect(blocks[0]).toContain(`- reply text "2: apple"`);
  expect(blocks[0]).toContain(`+ reply text "2: APPLE"`);
  // In order per chat: Ben's second message is his "2", whatever Ann sent between.
  expect(blocks[1]).toContain(`  reply text "2: three"`);
  expect(blocks[1]).toContain(`+ push→${BEN} text "and a push"`);
  expect(blocks[2]).toStartWith("! error");
  expect(blocks[2]).toContain("boom went the new version");
  expect(blocks[2]).toContain(`- reply text "3: boom"`);
  expect(out).toContain("5 events in");
  expect(out).toContain("2 identical, 2 changed (0 added, 0 dropped), 1 errors");

  // Nothing reached the live channel, and the live store (its kv included) is as it was.
  expect(live.line.replies.length + live.line.pushes.length).toBe(sentBefore);
  expect(await live.kv("counter").get("replayed")).toBeUndefined();
  expect(await live.kv("counter").get(ANN)).toBe(3);
  expect(await liveStoreDigest()).toBe(digest);
});

test("--fail-on-change exits non-zero; filters select the chat and the time", async () => {
  expect((await run("--plugin", changedFile, "--fail-on-change")).code).toBe(1);
  expect((await run("--plugin", "counter", "--fail-on-change")).code).toBe(0);
  const ben = await run("--plugin", changedFile, "--chat", `user:${BEN}`);
  expect(ben.out).toContain("2 events in");
  const none = await run("--plugin", changedFile, "--since=-1m");
  expect(none.out).toContain("nothing to replay");
});

test("a plugin file outside the project replays too: the SDK is linked beside it", async () => {
  const elsewhere = mkdtempSync(join(tmpdir(), "hotline-replay-elsewhere-"));
  try {
    writeFileSync(join(elsewhere, "counter.ts"), LIVE);
    const { code, out, err } = await run("--plugin", join(elsewhere, "counter.ts"));
    expect(err).toContain(join(elsewhere, "node_modules", "hotline"));
    expect(code).toBe(0);
    expect(out).toContain("5 identical, 0 changed");
  } finally {
    rmSync(elsewhere, { recursive: true, force: true });
  }
});

test("--follow runs the next version on each event the live bot settles, never sending", async () => {
  const stop = new AbortController();
  let out = "";
  let seen: () => void = () => {};
  const shown = new Promise<void>((resolve) => {
    seen = resolve;
  });
  const following = replay(
    ["--plugin", changedFile, "--follow"],
    {
      env: storeEnv(),
      out: (text) => {
        out += text;
        if (out.includes("AVOCADO")) seen();
      },
      err: () => {},
      pollMs: 50,
    },
    stop.signal,
  );
  const sentBefore = live.line.replies.length + live.line.pushes.length;
  const avocado = event.text("avocado", { chat: user(ANN) });
  await live.deliver(avocado);
  await shown;
  stop.abort();
  expect(await following).toBe(0);
  // Only what came in after the start, and the sandbox's own count: its first message from Ann.
  expect(out).toContain(`- reply text "4: avocado"`);
  expect(out).toContain(`+ reply text "1: AVOCADO"`);
  expect(out).toContain("1 events in");
  expect(live.repliesTo(avocado)).toEqual([{ type: "text", text: "4: avocado" }]);
  expect(live.line.replies.length + live.line.pushes.length).toBe(sentBefore + 1);
});

test("with the live bot stopped, the store's files stay byte for byte the same", async () => {
  await live.hotline.stop();
  const digest = await liveStoreDigest();
  const { code } = await run("--plugin", changedFile, "--limit", "3");
  expect(code).toBe(0);
  // The command itself, as `bun run replay` starts it.
  const command = Bun.spawn(
    [process.execPath, "src/dev/replay/main.ts", "--plugin", changedFile, "--fail-on-change"],
    { env: { ...process.env, ...storeEnv() }, stdout: "pipe", stderr: "pipe" },
  );
  const [stdout, status] = await Promise.all([new Response(command.stdout).text(), command.exited]);
  expect(stdout).toContain("6 events in");
  expect(stdout).toContain("2 identical, 3 changed (0 added, 0 dropped), 1 errors");
  expect(status).toBe(1);
  expect(await liveStoreDigest()).toBe(digest);
  await live.restart();
});
