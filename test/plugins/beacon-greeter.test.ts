import { afterEach, describe, expect, test } from "bun:test";
import { eq, users } from "hotline/db";
import { event, group, setEventClock, startTestBot, type TestBot, user } from "hotline/testing";
import { visits } from "../../plugins/beacon-greeter.ts";

const PLUGIN = "plugins/beacon-greeter.ts";
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

const ALICE = user("U000000000000000000000000000a11ce");
const BOB = user("U00000000000000000000000000000b0b");
const ENTRANCE = "0000e0e0e0";
const CAFE = "00000cafe0";

let bot: TestBot | undefined;
afterEach(async () => {
  await bot?.stop();
  bot = undefined;
  setEventClock();
});

async function start(settings: Record<string, unknown> = {}): Promise<TestBot> {
  bot = await startTestBot({ plugins: [PLUGIN], settings: { "beacon-greeter": settings } });
  // Events are stamped by the bot's clock, so visits happen when the test says they do.
  const clock = bot.clock;
  setEventClock(() => clock.now());
  bot.line.setProfile({ userId: ALICE.userId, displayName: "Alice" });
  bot.line.setProfile({ userId: BOB.userId, displayName: "Bob" });
  return bot;
}

const enter = (hwid = ENTRANCE, chat = ALICE) => event.beacon("enter", hwid, { chat });

/** Delivers a beacon event; returns the messages replied to it. */
async function replies(bot: TestBot, e: ReturnType<typeof event.beacon>): Promise<unknown[]> {
  await bot.deliver(e);
  return bot.repliesTo(e);
}

/** Delivers a beacon event; returns the texts replied to it. */
async function replyTexts(bot: TestBot, e: ReturnType<typeof event.beacon>): Promise<string[]> {
  return (await replies(bot, e)).map((m) => (m as { text: string }).text);
}

const profileLookups = (bot: TestBot) =>
  bot.line.requests.filter((r) => r.path.startsWith("/v2/bot/profile/")).length;

const storedVisits = (bot: TestBot) => bot.pluginDb.select().from(visits).orderBy(visits.at);

describe("enter", () => {
  test("greets the user by their LINE display name", async () => {
    const bot = await start();
    const e = enter();
    await bot.deliver(e);
    expect(bot.repliesTo(e)).toEqual([{ type: "text", text: "Welcome, Alice!" }]);
  });

  test("fetches the profile once and keeps it in the shared users table", async () => {
    const bot = await start();
    expect(await replyTexts(bot, enter())).toEqual(["Welcome, Alice!"]);
    await bot.advance(61 * MINUTE);
    expect(await replyTexts(bot, enter())).toEqual(["Welcome, Alice!"]);

    expect(profileLookups(bot)).toBe(1);
    const [cached] = await bot.pluginDb.select().from(users).where(eq(users.userId, ALICE.userId));
    expect(cached?.displayName).toBe("Alice");
  });

  test("greets once per user and beacon within the cooldown, counted from the last greeting", async () => {
    const bot = await start();
    expect(await replies(bot, enter(ENTRANCE))).toHaveLength(1);

    const again = enter(ENTRANCE);
    await bot.deliver(again);
    await bot.expectNoReply(again);

    // Another beacon, and another user at the same beacon, have cooldowns of their own.
    expect(await replies(bot, enter(CAFE))).toHaveLength(1);
    expect(await replyTexts(bot, enter(ENTRANCE, BOB))).toEqual(["Welcome, Bob!"]);

    // An ungreeted visit does not extend the cooldown: 59 minutes in, still quiet...
    await bot.advance(59 * MINUTE);
    const stillQuiet = enter(ENTRANCE);
    await bot.deliver(stillQuiet);
    await bot.expectNoReply(stillQuiet);
    // ...and an hour after the greeting, greeted again.
    await bot.advance(1 * MINUTE);
    expect(await replyTexts(bot, enter(ENTRANCE))).toEqual(["Welcome, Alice!"]);
  });

  test("the cooldown is a setting", async () => {
    const bot = await start({ cooldownMinutes: 5 });
    expect(await replies(bot, enter())).toHaveLength(1);
    await bot.advance(4 * MINUTE);
    expect(await replies(bot, enter())).toHaveLength(0);
    await bot.advance(1 * MINUTE);
    expect(await replies(bot, enter())).toHaveLength(1);
  });

  test("uses a beacon's own greeting, and the default for other beacons", async () => {
    const bot = await start({
      greeting: "Hello {name}, welcome to our store",
      beacons: { [CAFE]: { greeting: "{name}, the coffee is on us today, {name}!" } },
    });
    expect(await replyTexts(bot, enter(CAFE))).toEqual([
      "Alice, the coffee is on us today, Alice!",
    ]);
    expect(await replyTexts(bot, enter(ENTRANCE))).toEqual(["Hello Alice, welcome to our store"]);
  });

  test("a display name with template-like characters is inserted as it is", async () => {
    const bot = await start();
    bot.line.setProfile({ userId: ALICE.userId, displayName: "$& {name} $1" });
    expect(await replyTexts(bot, enter())).toEqual(["Welcome, $& {name} $1!"]);
  });
});

describe("when the profile cannot be had", () => {
  test("404 (LINE will not describe the user): greets without the name", async () => {
    const bot = await start();
    bot.line.fault({ path: `/v2/bot/profile/${ALICE.userId}`, status: 404 });
    expect(await replyTexts(bot, enter())).toEqual(["Welcome!"]);
  });

  test("5xx after every retry: greets without the name, once", async () => {
    const bot = await start({ greeting: "Hi {name}, welcome to Shibuya" });
    bot.line.fault({
      path: `/v2/bot/profile/${ALICE.userId}`,
      status: 503,
      times: Infinity,
      retryAfterSeconds: 0, // retry at once: the test kit's fast retry policy misses plugin workers
    });
    const e = enter();
    expect(await replyTexts(bot, e)).toEqual(["Hi, welcome to Shibuya"]);
    expect(profileLookups(bot)).toBeGreaterThan(1); // the client did retry
    expect((await bot.deliveries(e.webhookEventId ?? ""))[0]?.status).toBe("done");
  });

  test("uses the configured text without a name, per beacon too", async () => {
    const bot = await start({
      greeting: "{name}さん、いらっしゃいませ！",
      greetingWithoutName: "いらっしゃいませ！",
      beacons: {
        [CAFE]: {
          greeting: "{name}さん、カフェへようこそ",
          greetingWithoutName: "カフェへようこそ",
        },
      },
    });
    bot.line.fault({ path: `/v2/bot/profile/${ALICE.userId}`, status: 404, times: Infinity });
    expect(await replyTexts(bot, enter(ENTRANCE))).toEqual(["いらっしゃいませ！"]);
    expect(await replyTexts(bot, enter(CAFE))).toEqual(["カフェへようこそ"]);
  });

  test("falls back to the name cached earlier when a refresh fails", async () => {
    const bot = await start();
    expect(await replyTexts(bot, enter())).toEqual(["Welcome, Alice!"]);
    // A day on, the cached profile is due for a refresh, and LINE is down.
    await bot.advance(DAY + MINUTE);
    bot.line.fault({
      path: `/v2/bot/profile/${ALICE.userId}`,
      status: 500,
      times: Infinity,
      retryAfterSeconds: 0,
    });
    expect(await replyTexts(bot, enter())).toEqual(["Welcome, Alice!"]);
    expect(profileLookups(bot)).toBeGreaterThan(1);
  });

  test("a slow look-up does not hold up the greeting; the name comes with the next visit", async () => {
    const bot = await start({ profileWaitMs: 50 });
    bot.line.fault({ path: `/v2/bot/profile/${ALICE.userId}`, delayMs: 400 });
    const e = enter();
    expect(await replyTexts(bot, e)).toEqual(["Welcome!"]);
    // The look-up carried on, and its answer is cached for next time.
    await bot.line.waitFor((line) =>
      line.requests.some((r) => r.path.startsWith("/v2/bot/profile/") && r.status === 200),
    );
    await bot.advance(61 * MINUTE);
    expect(await replyTexts(bot, enter())).toEqual(["Welcome, Alice!"]);
  });
});

describe("banner", () => {
  test("is recorded but not answered when no banner message is configured", async () => {
    const bot = await start();
    const tap = event.beacon("banner", ENTRANCE, { chat: ALICE });
    await bot.deliver(tap);
    await bot.expectNoReply(tap);
    expect((await storedVisits(bot)).map((v) => v.type)).toEqual(["banner"]);
  });

  test("is answered with the beacon's banner, else the default, on every tap", async () => {
    const coupon = {
      type: "image",
      originalContentUrl: "https://example.com/coupon.png",
      previewImageUrl: "https://example.com/coupon-preview.png",
    };
    const bot = await start({
      banner: "Thanks for tapping!",
      beacons: { [CAFE]: { banner: ["Here is your coupon:", coupon] } },
    });
    const tap = () => event.beacon("banner", CAFE, { chat: ALICE });
    expect(await replies(bot, tap())).toEqual([
      { type: "text", text: "Here is your coupon:" },
      coupon,
    ]);
    // A tap is deliberate: no cooldown.
    expect(await replies(bot, tap())).toHaveLength(2);
    const elsewhere = event.beacon("banner", ENTRANCE, { chat: ALICE });
    expect(await replyTexts(bot, elsewhere)).toEqual(["Thanks for tapping!"]);
  });
});

describe("stay", () => {
  test("is ignored (but recorded) unless a stay message is configured", async () => {
    const bot = await start();
    const stay = event.beacon("stay", ENTRANCE, { chat: ALICE });
    await bot.deliver(stay);
    await bot.expectNoReply(stay);
    expect(profileLookups(bot)).toBe(0);
    expect((await storedVisits(bot)).map((v) => v.type)).toEqual(["stay"]);
  });

  test("is answered once per cooldown when configured", async () => {
    const bot = await start({ beacons: { [CAFE]: { stay: "Still deciding? Try the latte." } } });
    const stay = () => event.beacon("stay", CAFE, { chat: ALICE });
    expect(await replyTexts(bot, stay())).toEqual(["Still deciding? Try the latte."]);
    // LINE repeats stay every 10 s or so while the user is in range.
    await bot.advance(10_000);
    expect(await replies(bot, stay())).toHaveLength(0);
    // Not configured for this beacon: ignored.
    expect(await replies(bot, event.beacon("stay", ENTRANCE, { chat: ALICE }))).toHaveLength(0);
    await bot.advance(60 * MINUTE);
    expect(await replies(bot, stay())).toHaveLength(1);
  });
});

describe("visit history", () => {
  test("records every beacon event with user, beacon, type, device message and time", async () => {
    const bot = await start();
    const first = event.beacon("enter", ENTRANCE, { chat: ALICE, dm: "1234abcd" });
    const repeat = event.beacon("enter", ENTRANCE, { chat: ALICE });
    const stay = event.beacon("stay", ENTRANCE, { chat: ALICE, dm: "ff" });
    const tap = event.beacon("banner", CAFE, { chat: BOB });
    await bot.deliver(first, repeat, stay, tap);

    expect(await storedVisits(bot)).toHaveLength(4);
    const stored = await storedVisits(bot);
    const byEvent = (e: { webhookEventId?: string }) =>
      stored.find((v) => v.eventId === e.webhookEventId);
    expect(byEvent(first)).toEqual({
      eventId: first.webhookEventId ?? "",
      userId: ALICE.userId,
      hwid: ENTRANCE,
      type: "enter",
      dm: "1234abcd",
      at: bot.clock.now(),
      repliedAt: bot.clock.now(),
    });
    expect(byEvent(repeat)).toMatchObject({ dm: null, repliedAt: null });
    expect(byEvent(stay)).toMatchObject({ type: "stay", dm: "ff" });
    expect(byEvent(tap)).toMatchObject({
      userId: BOB.userId,
      hwid: CAFE,
      type: "banner",
      repliedAt: null,
    });
  });

  test("a redelivered event is recorded and greeted once", async () => {
    const bot = await start();
    const e = enter();
    await bot.deliver(e);
    await bot.deliver({ ...e, deliveryContext: { isRedelivery: true } });
    expect(await storedVisits(bot)).toHaveLength(1);
    expect(bot.line.replies).toHaveLength(1);
  });

  test("visits older than keepVisitsDays are deleted by the hourly job", async () => {
    const bot = await start({ keepVisitsDays: 30 });
    const old = enter();
    await bot.deliver(old);
    await bot.advance(31 * DAY);
    const recent = event.beacon("stay", ENTRANCE, { chat: ALICE });
    await bot.deliver(recent);

    await bot.runJob("beacon-greeter", "prune");
    expect((await storedVisits(bot)).map((v) => v.eventId)).toEqual([recent.webhookEventId ?? ""]);
  });

  test("a cooldown longer than keepVisitsDays keeps the visits it needs", async () => {
    const bot = await start({ keepVisitsDays: 1, cooldownMinutes: 3 * 24 * 60 });
    expect(await replies(bot, enter())).toHaveLength(1);
    await bot.advance(2 * DAY);
    await bot.runJob("beacon-greeter", "prune");
    expect(await replies(bot, enter())).toHaveLength(0);
  });

  test("keepVisitsDays 0 keeps visits forever", async () => {
    const bot = await start({ keepVisitsDays: 0 });
    await bot.deliver(enter());
    await bot.advance(3650 * DAY);
    await bot.runJob("beacon-greeter", "prune");
    expect(await storedVisits(bot)).toHaveLength(1);
  });
});

describe("scope", () => {
  test("ignores beacon events that do not come from a 1:1 chat, and standby events", async () => {
    const bot = await start();
    const inGroup = event.beacon("enter", ENTRANCE, { chat: group() });
    const standby = event.beacon("enter", ENTRANCE, { chat: ALICE, mode: "standby" });
    await bot.deliver(inGroup, standby);
    await bot.expectNoReply(inGroup);
    await bot.expectNoReply(standby);
    expect(await storedVisits(bot)).toHaveLength(0);
  });

  test("a bad setting keeps the plugin from loading, with a clear error", async () => {
    const bot = await start({
      cooldownMinutes: -1,
      banner: [],
      cooldown: 30, // misspelt keys are errors, not settings silently left at their defaults
      beacons: { [CAFE]: { stai: "x" } },
    });
    const [status] = bot.hotline.plugins.statuses();
    expect(status?.state).toBe("failed");
    expect(status?.error).toContain("cooldownMinutes: Too small");
    expect(status?.error).toContain("banner: Too small");
    expect(status?.error).toContain('Unrecognized key: "cooldown"');
    expect(status?.error).toContain(`beacons.${CAFE}: Unrecognized key: "stai"`);
  });
});
