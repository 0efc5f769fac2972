/** `/admin/schedules`: what operators see of the plugins' schedules, and what they can do. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { event, startTestBot, type TestBot, user } from "../../src/dev/testing/mod.ts";

const TOKEN = "s3cret-admin-token-for-schedule-tests-0123";
const REMINDERS = new URL("../schedules/fixtures/reminders.ts", import.meta.url);
const T0 = Date.UTC(2026, 5, 1, 12, 0);
const CHAT = `U${"a".repeat(32)}`;

let bot: TestBot;

async function admin(path: string, body?: unknown, token: string | null = TOKEN) {
  const headers = new Headers();
  if (token !== null) headers.set("authorization", `Bearer ${token}`);
  if (body !== undefined) headers.set("content-type", "application/json");
  const response = await fetch(`${bot.url}/admin${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const say = (text: string) => bot.deliver(event.text(text, { chat: user(CHAT) }));

beforeAll(async () => {
  bot = await startTestBot({
    plugins: [REMINDERS],
    now: T0,
    env: { ADMIN_TOKEN: TOKEN, MAX_ATTEMPTS: "1" },
    // Every reminder fails its one attempt: each ends dead.
    settings: { reminders: { failRuns: 1 } },
  });
  await say("remind@broken 1 tea");
  await say("remind@later 3600 coffee");
  await bot.advance(1000);
});
afterAll(() => bot?.stop());

describe("admin schedules", () => {
  test("lists them with their state and data, filtered, a page at a time", async () => {
    const all = await admin("/schedules");
    expect(all.status).toBe(200);
    expect(all.body.schedules).toEqual([
      expect.objectContaining({
        id: "reminders:@morning",
        job: "morning",
        declared: true,
        cron: "0 9 * * *",
        timeZone: "America/New_York",
        status: "scheduled",
        data: null,
      }),
      expect.objectContaining({ id: "reminders:@tick", every: 600_000, declared: true }),
      expect.objectContaining({
        id: "reminders:broken",
        plugin: "reminders",
        job: "remind",
        data: { to: CHAT, text: "tea" },
        status: "dead",
        attempts: 1,
        lastError: "attempt 1 fails",
        runAt: T0 + 1000,
        declared: false,
      }),
      expect.objectContaining({
        id: "reminders:later",
        status: "scheduled",
        nextRunAt: T0 + 3_600_000,
      }),
    ]);
    const dead = await admin("/schedules?status=dead,cancelled&job=remind");
    expect((dead.body.schedules as Array<{ id: string }>).map((s) => s.id)).toEqual([
      "reminders:broken",
    ]);
    const first = await admin("/schedules?limit=3");
    expect((first.body.schedules as unknown[]).length).toBe(3);
    const rest = await admin(`/schedules?limit=3&cursor=${first.body.nextCursor}`);
    expect(rest.body).toMatchObject({ schedules: [{ id: "reminders:later" }], nextCursor: null });
  });

  test("bad queries and bodies get a 400 that says what is wrong; no token, a 401", async () => {
    expect(await admin("/schedules?status=sleeping")).toMatchObject({
      status: 400,
      body: { error: expect.stringContaining("query.status") },
    });
    expect(await admin("/schedules?cursor=@@@")).toMatchObject({ status: 400 });
    expect(await admin("/schedules/retry", { ids: [], plugin: "x" })).toMatchObject({
      status: 400,
    });
    expect(await admin("/schedules/cancel", {})).toMatchObject({
      status: 400,
      body: { error: expect.stringContaining("body.ids") },
    });
    expect((await admin("/schedules", undefined, null)).status).toBe(401);
  });

  test("retry runs a dead schedule again with fresh attempts; cancel stops one", async () => {
    expect(await admin("/schedules/retry", { plugin: "reminders" })).toEqual({
      status: 200,
      body: { retried: 1, ids: ["reminders:broken"] },
    });
    await bot.settle();
    // Its attempts start afresh: the first fails again, and it is dead again.
    expect(await bot.schedules({ ids: ["reminders:broken"] })).toMatchObject([
      { status: "dead", attempts: 1 },
    ]);
    // The operator fixes the cause, then retries: it runs, once.
    await say("fix");
    await admin("/schedules/retry", { ids: ["reminders:broken"] });
    await bot.settle();
    expect(await bot.schedules({ ids: ["reminders:broken"] })).toMatchObject([
      { status: "done", lastError: null },
    ]);
    expect(bot.pushesTo(CHAT)).toEqual([{ type: "text", text: "⏰ tea" }]);
    expect(
      await admin("/schedules/cancel", { ids: ["reminders:later", "reminders:none"] }),
    ).toEqual({
      status: 200,
      body: { cancelled: 1, ids: ["reminders:later"] },
    });
    await bot.advance(3_600_000);
    expect(bot.pushesTo(CHAT)).toHaveLength(1);
  });
});
