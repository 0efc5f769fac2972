import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  createPluginsDir,
  event,
  startTestBot,
  type TestBot,
  user,
} from "../../src/dev/testing/mod.ts";

const TOKEN = "s3cret-admin-token-for-tests-0123456789";

const PLUGINS: Record<string, string> = {
  "replier.ts": `import { definePlugin } from "hotline";
export default definePlugin({
  name: "replier",
  on: { "message:text": async (event, ctx) => { await ctx.reply("re: " + event.message.text); } },
});
`,
  "half.ts": `import { definePlugin } from "hotline";
export default definePlugin({ name: "half", on: {} , oops: true });
`,
  // Fails every delivery until an operator "fixes" it (a flag in its key-value store).
  "fragile.ts": `import { definePlugin } from "hotline";
export default definePlugin({
  name: "fragile",
  chats: ["group"],
  on: {
    "message:text": async (event, ctx) => {
      if (!(await ctx.kv.get("fixed"))) throw new Error("broken until fixed: " + event.message.text);
    },
  },
});
`,
};

const dir = createPluginsDir();
let bot: TestBot;

function admin(path: string, init: RequestInit & { token?: string | null } = {}) {
  const { token = TOKEN, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (token !== null) headers.set("authorization", `Bearer ${token}`);
  if (rest.body !== undefined) headers.set("content-type", "application/json");
  return fetch(`${bot.url}/admin${path}`, { ...rest, headers });
}
async function adminJson(path: string, init: RequestInit & { token?: string | null } = {}) {
  const response = await admin(path, init);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}
const post = (path: string, body?: unknown) =>
  adminJson(path, {
    method: "POST",
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

async function delivery(eventId: string, plugin: string) {
  return (await bot.deliveries(eventId)).find((d) => d.plugin === plugin);
}

async function eventStatus(eventId: string) {
  return (await bot.storedEvents([eventId]))[0]?.status;
}

// Four dead letters: one at t0, one at t0+1s, two (one webhook) at t0+2s.
const inGroup = { chat: { type: "group" as const, groupId: "C00000000000000000000000000000a1" } };
const dead = {
  a: event.text("a", inGroup),
  b: event.text("b", inGroup),
  c: event.text("c", inGroup),
  d: event.text("d", inGroup),
};

beforeAll(async () => {
  for (const [file, source] of Object.entries(PLUGINS)) dir.write(file, source);
  bot = await startTestBot({
    pluginsDir: dir.dir,
    env: { ADMIN_TOKEN: TOKEN, MAX_ATTEMPTS: "1" },
    tuning: { breaker: { threshold: 1000, cooldownMs: 1000 } },
  });
  await bot.deliver(dead.a);
  bot.clock.advance(1000);
  await bot.deliver(dead.b);
  bot.clock.advance(1000);
  await bot.deliver(dead.c, dead.d);
});
afterAll(async () => {
  await bot?.stop();
  dir.remove();
});

describe("admin API authentication", () => {
  test("no token, a wrong one, one of another length, or another scheme: 401", async () => {
    const refused = [
      await admin("/plugins", { token: null }),
      await admin("/plugins", { token: "s3cret-admin-token-for-tesTS" }),
      await admin("/plugins", { token: "short" }),
      await admin("/plugins", { token: `${TOKEN}${TOKEN}` }),
      await fetch(`${bot.url}/admin/plugins`, { headers: { authorization: `Basic ${TOKEN}` } }),
      await admin("/no/such/route", { token: null }),
    ];
    for (const response of refused) {
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toContain("Bearer");
      expect(((await response.json()) as { error: string }).error).toContain("unauthorized");
    }
    expect((await admin("/plugins")).status).toBe(200);
  });

  test("with the token, an unknown admin route is a JSON 404", async () => {
    const { status, body } = await adminJson("/no/such/route");
    expect(status).toBe(404);
    expect(body.error).toBe("no admin route GET /admin/no/such/route");
  });
});

describe("plugins", () => {
  test("lists each plugin with state, version, subscriptions, routing, last error and counts", async () => {
    const { status, body } = await adminJson("/plugins");
    expect(status).toBe(200);
    const versions = Object.fromEntries(
      bot.hotline.plugins.statuses().map((s) => [s.name, s.version]),
    );
    expect(body.plugins).toEqual([
      expect.objectContaining({
        name: "fragile",
        file: "fragile.ts",
        state: "loaded",
        version: versions.fragile,
        subscriptions: ["message:text"],
        chats: ["group"],
        error: null,
        delivered: 0,
        failed: 4,
        deliveries: { open: 0, dead: 4 },
      }),
      expect.objectContaining({
        name: null,
        file: "half.ts",
        state: "failed",
        version: null,
        error: expect.stringContaining("invalid plugin declaration"),
        deliveries: { open: 0, dead: 0 },
      }),
      expect.objectContaining({
        name: "replier",
        state: "loaded",
        version: versions.replier,
        chats: null,
        priority: 0,
        commands: [],
        postbacks: [],
        fallbacks: [],
        error: null,
        delivered: 4,
        failed: 0,
        deliveries: { open: 0, dead: 0 },
      }),
    ]);
    expect(versions.replier).toMatch(/^[0-9a-f]{12}$/);
  });

  test("pause holds a plugin's deliveries; resume runs them", async () => {
    const paused = await post("/plugins/replier/pause");
    expect(paused.status).toBe(200);
    expect(paused.body.plugin).toMatchObject({ name: "replier", state: "paused" });

    const waiting = event.text("are you there?", { chat: user() });
    await bot.deliver(waiting);
    expect(bot.repliesTo(waiting)).toEqual([]);
    expect((await delivery(waiting.webhookEventId, "replier"))?.status).toBe("pending");
    const one = await adminJson("/plugins/replier");
    expect(one.body.plugin).toMatchObject({ state: "paused", deliveries: { open: 1, dead: 0 } });

    bot.clock.advance(3000);
    const inbox = await adminJson("/inbox");
    expect(inbox.body).toMatchObject({ open: 1, oldestOpenAgeSeconds: 3, dispatcherQueued: 1 });
    expect(inbox.body.events).toMatchObject({ pending: 0, active: 1 });

    const resumed = await post("/plugins/replier/resume");
    expect(resumed.body.plugin).toMatchObject({ state: "loaded" });
    expect(await bot.waitForReply(waiting)).toEqual([{ type: "text", text: "re: are you there?" }]);
  });

  test("pausing a plugin that is not loaded is a 404", async () => {
    const { status, body } = await post("/plugins/nobody/pause");
    expect(status).toBe(404);
    expect(body.error).toBe('no plugin named "nobody" is loaded');
    expect((await adminJson("/plugins/nobody")).status).toBe(404);
  });
});

describe("dead letters", () => {
  const ids = {
    a: dead.a.webhookEventId,
    b: dead.b.webhookEventId,
    c: dead.c.webhookEventId,
    d: dead.d.webhookEventId,
  };

  test("are listed newest first with their errors, a page at a time", async () => {
    // c and d died in the same millisecond: the event id breaks the tie.
    const [first, second] = [ids.c, ids.d].sort().reverse() as [string, string];
    const expected = [first, second, ids.b, ids.a];
    const page1 = await adminJson("/deliveries/dead?limit=3");
    expect(page1.status).toBe(200);
    const rows1 = page1.body.deliveries as Array<Record<string, unknown>>;
    expect(rows1.map((row) => row.eventId)).toEqual(expected.slice(0, 3));
    expect(rows1[0]).toMatchObject({
      plugin: "fragile",
      attempts: 1,
      eventType: "message",
      lastError: expect.stringContaining("broken until fixed: "),
    });
    expect(typeof page1.body.nextCursor).toBe("string");
    const page2 = await adminJson(
      `/deliveries/dead?limit=3&cursor=${encodeURIComponent(page1.body.nextCursor as string)}`,
    );
    const rows2 = page2.body.deliveries as Array<Record<string, unknown>>;
    expect(rows2.map((row) => row.eventId)).toEqual([ids.a]);
    expect(rows2[0]?.lastError).toBe("broken until fixed: a");
    expect(page2.body.nextCursor).toBeNull();

    // One at a time, so that a page also ends inside the tie.
    const walked: unknown[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
      const page = await adminJson(`/deliveries/dead?limit=1${query}`);
      walked.push(...(page.body.deliveries as Array<{ eventId: string }>).map((r) => r.eventId));
      cursor = page.body.nextCursor as string | null;
    } while (cursor && walked.length < 10);
    expect(walked).toEqual(expected);

    expect((await adminJson("/deliveries/dead?plugin=replier")).body.deliveries).toEqual([]);
    expect((await adminJson("/deliveries/dead?plugin=fragile")).body.deliveries).toHaveLength(4);
  });

  test("bad queries and bodies get a 400 that says what is wrong", async () => {
    const cases: Array<[Promise<{ status: number; body: Record<string, unknown> }>, string]> = [
      [adminJson("/deliveries/dead?limit=0"), "query.limit: "],
      [adminJson("/deliveries/dead?cursor=bm9wZQ"), "cursor: not a cursor this API returned"],
      [adminJson("/deliveries/dead?colour=red"), "query: "],
      [post("/deliveries/dead/retry", {}), 'body: give exactly one of "deliveries"'],
      [post("/deliveries/dead/retry", { all: true, plugin: "fragile" }), "body: give exactly one"],
      [
        post("/deliveries/dead/retry", { deliveries: [{ eventId: "x" }] }),
        "body.deliveries.0.plugin: ",
      ],
      [post("/deliveries/dead/discard", { all: true }), "body.reason: "],
      [
        adminJson("/deliveries/dead/retry", { method: "POST", body: "{not json" }),
        "body is not valid JSON",
      ],
    ];
    for (const [call, error] of cases) {
      const { status, body } = await call;
      expect(status).toBe(400);
      expect(body.error).toStartWith(error);
    }
    // Nothing was touched.
    expect((await adminJson("/deliveries/dead")).body.deliveries).toHaveLength(4);
  });

  test("retry reopens a dead delivery and its event, and runs it again", async () => {
    await bot.kv("fragile").set("fixed", true);
    // Paused, so that the reopened state can be seen before it runs.
    await post("/plugins/fragile/pause");
    const retried = await post("/deliveries/dead/retry", {
      deliveries: [{ eventId: ids.a, plugin: "fragile" }],
    });
    expect(retried.body).toEqual({
      retried: 1,
      deliveries: [{ eventId: ids.a, plugin: "fragile" }],
    });
    await bot.settle();
    // A fresh set of attempts, and the event is open again (so it is not pruned meanwhile).
    expect(await delivery(ids.a, "fragile")).toMatchObject({ status: "pending", attempts: 0 });
    expect(await eventStatus(ids.a)).toBe("active");
    expect((await adminJson("/inbox")).body).toMatchObject({ open: 1, dispatcherQueued: 1 });

    await post("/plugins/fragile/resume");
    await bot.settle();
    expect(await delivery(ids.a, "fragile")).toMatchObject({ status: "done", attempts: 1 });
    expect(await eventStatus(ids.a)).toBe("done");

    // Only dead ones are retried: the same key again does nothing.
    const again = await post("/deliveries/dead/retry", {
      deliveries: [{ eventId: ids.a, plugin: "fragile" }],
    });
    expect(again.body).toEqual({ retried: 0, deliveries: [] });
  });

  test("discard drops a dead delivery for good, keeping the reason and the last error", async () => {
    const { body } = await post("/deliveries/dead/discard", {
      deliveries: [{ eventId: ids.b, plugin: "fragile" }],
      reason: "spam",
    });
    expect(body).toEqual({ discarded: 1, deliveries: [{ eventId: ids.b, plugin: "fragile" }] });
    expect(await delivery(ids.b, "fragile")).toMatchObject({
      status: "dropped",
      lastError: "discarded: spam (last error: broken until fixed: b)",
    });
    const rest = (await adminJson("/deliveries/dead")).body.deliveries as Array<{
      eventId: string;
    }>;
    expect(rest.map((row) => row.eventId).sort()).toEqual([ids.c, ids.d].sort());
  });

  test("retry all, then the inbox has nothing open", async () => {
    expect((await post("/deliveries/dead/retry", { all: true })).body.retried).toBe(2);
    await bot.settle();
    expect((await adminJson("/deliveries/dead")).body.deliveries).toEqual([]);
    const { body } = await adminJson("/inbox");
    expect(body).toMatchObject({
      open: 0,
      oldestOpenAgeSeconds: null,
      dispatcherQueued: 0,
      events: { pending: 0, active: 0, done: 5 },
      deliveries: { pending: 0, retry: 0, dead: 0, dropped: 1, done: 8 },
    });
    const open = (await bot.storedEvents()).filter((row) => row.status === "active");
    expect(open).toEqual([]);
  });
});

describe("without ADMIN_TOKEN", () => {
  test("the admin routes say the API is disabled", async () => {
    const plain = await startTestBot();
    try {
      const response = await fetch(`${plain.url}/admin/plugins`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({
        error: "the admin API is disabled: set ADMIN_TOKEN to enable it",
      });
    } finally {
      await plain.stop();
    }
  });
});
