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
