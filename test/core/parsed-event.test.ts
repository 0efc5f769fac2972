import { describe, expect, test } from "bun:test";
import { eventIdOf } from "../../src/core/event-id.ts";
import { parseEvent } from "../../src/core/parsed-event.ts";

describe("event identity", () => {
  const base = {
    type: "follow",
    timestamp: 1,
    source: { type: "user", userId: "U1" },
    deliveryContext: { isRedelivery: false },
  };

  test("LINE's webhookEventId is the id", () => {
    expect(eventIdOf({ ...base, webhookEventId: "01ABC" })).toBe("01ABC");
  });

  test("without one, the derived id ignores key order and the redelivery flag", () => {
    const id = eventIdOf(base);
    expect(id).toMatch(/^derived-[0-9a-f]{32}$/);
    const reordered = Object.fromEntries(Object.entries(base).reverse());
    expect(eventIdOf(reordered)).toBe(id);
    expect(eventIdOf({ ...base, deliveryContext: { isRedelivery: true } })).toBe(id);
    expect(eventIdOf({ ...base, webhookEventId: "" })).toMatch(/^derived-/);
  });

  test("derived ids stay what they were: stored events of older versions still dedup", () => {
    const message = {
      type: "message",
      timestamp: 1700000000000,
      source: { userId: "U1", type: "user" },
      mode: "active",
      deliveryContext: { isRedelivery: false },
      replyToken: "r",
      message: {
        type: "text",
        id: "1",
        text: 'héllo \u2028 "q" \ud83e\udd28',
        emojis: [{ index: 0, length: 1, productId: "p", emojiId: "e" }],
        nothing: null,
        list: [1, 2.5, true, null, [], {}],
      },
    };
    // Computed by the recursive implementation this one replaced.
    expect(eventIdOf(message)).toBe("derived-05b99ae38b1411ca00fe22735a683ec3");
    expect(eventIdOf([1, { b: 1, a: [2] }])).toBe("derived-01f9c7cf2f6460cffc9253ba41057a8e");
    expect(eventIdOf("x")).toBe("derived-ba2df4903a2c14e86dc3bcca58911b44");
    expect(eventIdOf(null)).toBe("derived-74234e98afe7498fb5daf1f36ac2d78a");
  });

  test("a value nested 100,000 deep gets an id: hashing it does not recurse", () => {
    const deep: unknown = JSON.parse("[".repeat(100_000) + "]".repeat(100_000));
    expect(eventIdOf({ type: "x", deep })).toMatch(/^derived-[0-9a-f]{32}$/);
  });

  test("without one, any difference in content gives another id", () => {
    const id = eventIdOf(base);
    expect(eventIdOf({ ...base, timestamp: 2 })).not.toBe(id);
    expect(eventIdOf({ ...base, source: { type: "user", userId: "U2" } })).not.toBe(id);
    expect(eventIdOf({ ...base, extra: [1, 2] })).not.toBe(eventIdOf({ ...base, extra: [2, 1] }));
    // Values that are not events still get distinct, stable ids.
    expect(eventIdOf(42)).toBe(eventIdOf(42));
    expect(new Set([42, "42", null, [42], {}].map(eventIdOf)).size).toBe(5);
  });
});

describe("parseEvent reads what every layer needs, once", () => {
  test("the chat key is the ordering unit: the group or room before the user", () => {
    const key = (source: unknown) => parseEvent({ type: "message", source }, 0).chatKey;
    expect(key({ type: "user", userId: "U1" })).toBe("user:U1");
    expect(key({ type: "group", groupId: "C1", userId: "U1" })).toBe("group:C1");
    expect(key({ type: "room", roomId: "R1", userId: "U1" })).toBe("room:R1");
    const lone = parseEvent({ type: "botSuspended", webhookEventId: "e1" }, 0);
    expect(lone.chatKey).toBe("event:e1");
    expect(lone.chat).toBeUndefined();
    const malformed = parseEvent(
      { type: "x", webhookEventId: "e2", source: { type: "group", groupId: 5 } },
      0,
    );
    expect(malformed.chatKey).toBe("event:e2");
  });

  test("timestamp, reply token and standby come from the event; the receive time fills a gap", () => {
    const event = { type: "message", timestamp: 7, replyToken: "r", mode: "standby" };
    expect(parseEvent(event, 99)).toMatchObject({ timestamp: 7, replyToken: "r", standby: true });
    expect(parseEvent({ type: "message" }, 99)).toMatchObject({
      timestamp: 99,
      replyToken: undefined,
      standby: false,
    });
  });

  test("a value that is not an event is kept as invalid, with an id and its own chat key", () => {
    const parsed = parseEvent(42, 5);
    expect(parsed).toMatchObject({ kind: "unknown", type: "invalid", timestamp: 5 });
    expect(parsed.chatKey).toBe(`event:${parsed.id}`);
  });
});
