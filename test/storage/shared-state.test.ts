import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { event, group, room, startTestBot, type TestBot, user } from "../../src/dev/testing/mod.ts";

let bot: TestBot;
beforeAll(async () => {
  // No plugins: the shared tables follow every event, whether or not a plugin wants it.
  bot = await startTestBot();
});
afterAll(() => bot?.stop());

let serial = 0;
const freshId = (prefix: "U" | "C" | "R") =>
  `${prefix}${(++serial).toString(16).padStart(32, "0")}`;

const userRow = (userId: string) => bot.hotline.store.readUser(userId);
const chatRow = (chatKey: string) => bot.hotline.store.readChat(chatKey);

async function deliver(...events: object[]): Promise<void> {
  const response = await bot.send(...events);
  expect(response.status).toBe(200);
  await bot.settle();
}

describe("users.following", () => {
  test("follow, unfollow, follow again", async () => {
    const id = freshId("U");
    const t = bot.clock.now();
    await deliver(event.follow({ chat: user(id), timestamp: t }));
    expect(await userRow(id)).toMatchObject({ following: true, followedAt: t, unfollowedAt: null });

    await deliver(event.unfollow({ chat: user(id), timestamp: t + 1000 }));
    expect(await userRow(id)).toMatchObject({
      following: false,
      followedAt: t,
      unfollowedAt: t + 1000,
    });

    await deliver(event.follow({ chat: user(id), timestamp: t + 2000, isUnblocked: true }));
    expect(await userRow(id)).toMatchObject({ following: true, followedAt: t + 2000 });
  });

  test("a user first seen in a message is known, with following still unknown", async () => {
    const id = freshId("U");
    await deliver(event.text("hi", { chat: user(id) }));
    expect(await userRow(id)).toMatchObject({ userId: id, following: null });
    await deliver(event.follow({ chat: user(id) }));
    expect((await userRow(id))?.following).toBe(true);
    // A later message does not reset it.
    await deliver(event.text("again", { chat: user(id) }));
    expect((await userRow(id))?.following).toBe(true);
  });

  test("follow and unfollow in one request apply in order", async () => {
    const id = freshId("U");
    const t = bot.clock.now();
    await deliver(
      event.follow({ chat: user(id), timestamp: t }),
      event.unfollow({ chat: user(id), timestamp: t + 1 }),
    );
    expect((await userRow(id))?.following).toBe(false);
  });

  test("a redelivered, older follow arriving after the unfollow does not resurrect it", async () => {
    const id = freshId("U");
    const t = bot.clock.now();
    const follow = event.follow({ chat: user(id), timestamp: t });
    const unfollow = event.unfollow({ chat: user(id), timestamp: t + 60_000 });
    // The follow's first delivery failed at our end; LINE redelivers it after the unfollow.
    await deliver(unfollow);
    await deliver({ ...follow, deliveryContext: { isRedelivery: true } });
    expect(await userRow(id)).toMatchObject({ following: false, unfollowedAt: t + 60_000 });
  });

  test("a duplicate follow changes nothing", async () => {
    const id = freshId("U");
    const follow = event.follow({ chat: user(id) });
    await deliver(follow);
    const first = await userRow(id);
    bot.clock.advance(5000);
    await deliver(follow);
    expect(await userRow(id)).toEqual(first);
  });

  test("a follow from a group source is not a user's follow", async () => {
    const id = freshId("U");
    await deliver({ ...event.follow(), source: group(freshId("C"), id) });
    expect((await userRow(id))?.following ?? null).toBeNull();
  });
});

describe("chats.member", () => {
  test("join and leave a group", async () => {
    const id = freshId("C");
    const t = bot.clock.now();
    await deliver(event.join(group(id, null), { timestamp: t }));
    expect(await chatRow(`group:${id}`)).toMatchObject({
      type: "group",
      chatId: id,
      member: true,
      joinedAt: t,
      leftAt: null,
    });
    await deliver(event.leave(group(id, null), { timestamp: t + 1000 }));
    expect(await chatRow(`group:${id}`)).toMatchObject({
      member: false,
      joinedAt: t,
      leftAt: t + 1000,
    });
    await deliver(event.join(group(id, null), { timestamp: t + 2000 }));
    expect(await chatRow(`group:${id}`)).toMatchObject({ member: true, joinedAt: t + 2000 });
  });

  test("join and leave a room", async () => {
    const id = freshId("R");
    await deliver(event.join(room(id, null)));
    expect(await chatRow(`room:${id}`)).toMatchObject({ type: "room", chatId: id, member: true });
    await deliver(event.leave(room(id, null)));
    expect((await chatRow(`room:${id}`))?.member).toBe(false);
  });

  test("a redelivered, older join arriving after the leave does not rejoin", async () => {
    const id = freshId("C");
    const t = bot.clock.now();
    const join = event.join(group(id, null), { timestamp: t });
    await deliver(event.leave(group(id, null), { timestamp: t + 60_000 }));
    await deliver({ ...join, deliveryContext: { isRedelivery: true } });
    expect(await chatRow(`group:${id}`)).toMatchObject({ member: false, leftAt: t + 60_000 });
  });

  test("members joining or leaving do not change the bot's own membership", async () => {
    const id = freshId("C");
    await deliver(event.join(group(id, null)));
    await deliver(event.memberLeft([freshId("U")], { chat: group(id, null) }));
    expect((await chatRow(`group:${id}`))?.member).toBe(true);
    await deliver(event.memberJoined([freshId("U")], { chat: group(id, null) }));
    expect((await chatRow(`group:${id}`))?.member).toBe(true);
  });

  test("a message in a group the bot never saw join does not invent a membership", async () => {
    const id = freshId("C");
    await deliver(event.text("hello", { chat: group(id) }));
    expect(await chatRow(`group:${id}`)).toBeUndefined();
  });
});
