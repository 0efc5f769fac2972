import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { exportFixture } from "../../../src/dev/replay/export-fixture.ts";
import {
  createPluginsDir,
  event,
  group,
  parseFixture,
  startTestBot,
  type TestBot,
  user,
} from "../../../src/dev/testing/mod.ts";

// Answers with what the user said and a count kept in its key-value store, pushes in groups.
const COUNTER = `import { definePlugin } from "hotline";
export default definePlugin({
  name: "counter",
  chats: ["user", "group"],
  on: { "message:text": async (event, ctx) => {
    const n = ((await ctx.kv.get("n")) ?? 0) + 1;
    await ctx.kv.set("n", n);
    await ctx.reply("#" + n + " you said: " + event.message.text);
    if (event.source.type === "group") await ctx.push("in the group: " + event.message.text);
  } },
});
`;

const ALICE = "U0a1b2c3d4e5f60718293a4b5c6d7e8f9";
const BOB = "U9f8e7d6c5b4a39281706f5e4d3c2b1a0";
const CLUB = "C1234567890abcdef1234567890abcdef";
const TEXTS = ["Meet me at Shinjuku station at 7", "bring the tickets, Bob!", "OK 👍 see you"];

const plugins = createPluginsDir();
plugins.write("counter.ts", COUNTER);
let live: TestBot;

/** The store the live bot uses: its SQLite file, or its PostgreSQL schema. */
function storeEnv(bot: TestBot) {
  const urlFile = join(bot.dataDir, "test-database-url");
  const databaseUrl = existsSync(urlFile) ? readFileSync(urlFile, "utf8") : undefined;
  return { DATA_DIR: bot.dataDir, ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) };
}

async function run(bot: TestBot, ...args: string[]) {
  let out = "";
  let err = "";
  const env = storeEnv(bot);
  const code = await exportFixture(args, {
    env,
    out: (text) => {
      out += text;
    },
    err: (text) => {
      err += text;
    },
  });
  return { code, out, err };
}

beforeAll(async () => {
  live = await startTestBot({ pluginsDir: plugins.dir });
  const base = Date.now() - 3_600_000;
  await live.deliver(event.text(TEXTS[0] as string, { chat: group(CLUB, ALICE), timestamp: base }));
  await live.deliver(
    event.text(TEXTS[1] as string, { chat: group(CLUB, BOB), timestamp: base + 1 }),
  );
  await live.deliver(
    event.text(TEXTS[2] as string, { chat: group(CLUB, ALICE), timestamp: base + 2 }),
  );
  await live.deliver(event.text("elsewhere", { chat: user(BOB), timestamp: base + 3 }));
});
afterAll(async () => {
  await live.stop();
  plugins.remove();
});

test("exports one chat's events and answers, in order, while the bot runs", async () => {
  const { code, out } = await run(live, "--chat", `group:${CLUB}`);
  expect(code).toBe(0);
  const fixture = parseFixture(JSON.parse(out));
  expect(fixture.chatKey).toBe(`group:${CLUB}`);
  expect(
    fixture.events.map((e) => (e.event as unknown as { message: { text: string } }).message.text),
  ).toEqual(TEXTS);
  expect(fixture.events[1]?.answers.counter).toEqual([
    { via: "reply", messages: [{ type: "text", text: `#2 you said: ${TEXTS[1]}` }] },
    { via: "push", to: CLUB, messages: [{ type: "text", text: `in the group: ${TEXTS[1]}` }] },
  ]);
});

test("an anonymized fixture holds none of the ids or texts, and replays green", async () => {
  const { code, out } = await run(live, "--chat", `group:${CLUB}`, "--anonymize");
  expect(code).toBe(0);
  for (const secret of [ALICE, BOB, CLUB, "Shinjuku", "tickets", "Bob", "Meet"])
    expect(out).not.toContain(secret);
  const fixture = parseFixture(JSON.parse(out));
  expect(fixture.anonymized).toBe(true);
  const first = fixture.events[0]?.event as unknown as {
    message: { text: string };
    source: object;
  };
  // The shape stays: same length, spaces and punctuation where they were, ids still LINE ids.
  expect(first.message.text).toHaveLength((TEXTS[0] as string).length);
  expect(first.message.text.split(" ")).toHaveLength(7);
  expect((first.source as { groupId: string }).groupId).toMatch(/^C[0-9a-f]{32}$/);
  // The same person gets the same fake everywhere.
  const senders = fixture.events.map(
    (e) => (e.event as unknown as { source: { userId: string } }).source.userId,
  );
  expect(senders[0]).toBe(senders[2] as string);
  expect(senders[0]).not.toBe(senders[1] as string);

  const sandbox = await startTestBot({ plugins: [join(plugins.dir, "counter.ts")] });
  try {
    const result = await sandbox.replay(fixture);
    expect(result.events.map((e) => e.errors)).toEqual([{}, {}, {}]);
    expect(result.actual).toEqual(result.expected);
    expect(result.changed).toBe(0);
    expect(result.events).toHaveLength(3);
  } finally {
    await sandbox.stop();
  }
});

test("usage errors exit 2 and say why", async () => {
  const { code, err } = await run(live);
  expect(code).toBe(2);
  expect(err).toContain("--chat is required");
});

test("replaying on a bot with no plugin loaded is an error, not a green run", async () => {
  const { out } = await run(live, "--chat", `group:${CLUB}`);
  const empty = await startTestBot();
  try {
    await expect(empty.replay(JSON.parse(out))).rejects.toThrow("no plugin is loaded");
  } finally {
    await empty.stop();
  }
});
