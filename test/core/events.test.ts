import { afterEach, describe, expect, expectTypeOf, test } from "bun:test";
import {
  type BeaconEvent,
  classifyEvent,
  type EventBody,
  type EventOfType,
  KNOWN_EVENT_TYPES,
  KNOWN_MESSAGE_TYPES,
  type KnownEventType,
  type KnownMessageType,
  type MessageEventOf,
  type StickerMessage,
  type TextMessage,
  type UnknownEvent,
  type WebhookEvent,
  webhookEnvelopeSchema,
} from "../../src/core/events.ts";
import {
  BOT_USER_ID,
  DEFAULT_GROUP_ID,
  DEFAULT_USER_ID,
  envelope,
  event,
  group,
  type Made,
  room,
  setEventClock,
  ulid,
  user,
} from "../../src/dev/events/mod.ts";

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** Types LINE documents with a replyToken (accountLink only when the link succeeded). */
const REPLYABLE = new Set([
  "message",
  "messageEdited",
  "follow",
  "join",
  "memberJoined",
  "postback",
  "videoPlayComplete",
  "beacon",
  "accountLink",
  "membership",
]);

type Case = [
  name: string,
  make: () => WebhookEvent,
  type: KnownEventType,
  messageType?: KnownMessageType,
];

const cases: Case[] = [
  ["text", () => event.text("hello"), "message", "text"],
  ["image", () => event.image(), "message", "image"],
  ["video", () => event.video(), "message", "video"],
  ["audio", () => event.audio(), "message", "audio"],
  ["file", () => event.file("a.pdf", 1234), "message", "file"],
  ["location", () => event.location(35.6, 139.7, { title: "here" }), "message", "location"],
  ["sticker", () => event.sticker("446", "1988"), "message", "sticker"],
  ["messageEdited", () => event.messageEdited("fixed typo"), "messageEdited", "text"],
  ["unsend", () => event.unsend("325708"), "unsend"],
  ["follow", () => event.follow(), "follow"],
  ["unfollow", () => event.unfollow(), "unfollow"],
  ["join", () => event.join(), "join"],
  ["leave", () => event.leave(room(undefined, null)), "leave"],
  ["memberJoined", () => event.memberJoined(["U1", "U2"]), "memberJoined"],
  ["memberLeft", () => event.memberLeft(), "memberLeft"],
  ["postback", () => event.postback("a=1", { params: { date: "2025-01-01" } }), "postback"],
  ["videoPlayComplete", () => event.videoPlayComplete("track-1"), "videoPlayComplete"],
  ["beacon", () => event.beacon("enter", "d41d8cd98f"), "beacon"],
  ["accountLink ok", () => event.accountLink("ok", "nonce-1"), "accountLink"],
  ["accountLink failed", () => event.accountLink("failed", "nonce-2"), "accountLink"],
  ["membership", () => event.membership("renewed", 7), "membership"],
  ["module attached", () => event.module("attached"), "module"],
  ["module detached", () => event.module("detached"), "module"],
  ["activated", () => event.activated(), "activated"],
  ["deactivated", () => event.deactivated(), "deactivated"],
  ["botSuspended", () => event.botSuspended(), "botSuspended"],
  ["botResumed", () => event.botResumed(), "botResumed"],
  ["delivery", () => event.delivery("tag-1"), "delivery"],
];

function expectKnown(parsed: EventBody): WebhookEvent {
  if (parsed.kind !== "known") throw new Error(`expected known, got unknown: ${parsed.reason}`);
  return parsed.event;
}

function expectUnknown(parsed: EventBody): { event: UnknownEvent; reason: string } {
  if (parsed.kind !== "unknown")
    throw new Error(`expected unknown, got known ${parsed.event.type}`);
  return parsed;
}

afterEach(() => setEventClock());

describe("factories", () => {
  test("cover every known event type and message type", () => {
    const made = cases.map(([, make]) => make());
    expect(new Set(made.map((e) => e.type))).toEqual(new Set(KNOWN_EVENT_TYPES));
    const messageTypes = made.flatMap((e) => (e.type === "message" ? [e.message.type] : []));
    expect(new Set(messageTypes)).toEqual(new Set(KNOWN_MESSAGE_TYPES));
  });

  for (const [name, make, type, messageType] of cases) {
    test(`${name}: parses as known ${type}${messageType ? `/${messageType}` : ""}, in LINE's strict shape`, () => {
      const input = make();
      const parsed = expectKnown(classifyEvent(input));
      expect(parsed.type).toBe(type);
      if (messageType)
        expect((parsed as { message: { type: string } }).message.type).toBe(messageType);

      expect(input.webhookEventId).toMatch(ULID);
      expect(typeof input.timestamp).toBe("number");
      expect(input.mode).toBe("active");
      expect(input.deliveryContext).toEqual({ isRedelivery: false });
      const replyable = REPLYABLE.has(type) && name !== "accountLink failed";
      const { replyToken } = input as { replyToken?: unknown };
      expect(typeof replyToken === "string").toBe(replyable);
      if (replyable) expect(replyToken).toMatch(/^[0-9a-f]{32}$/);
    });
  }

  test("every call gets a fresh webhookEventId and replyToken", () => {
    const a = event.text("a");
    const b = event.text("a");
    expect(a.webhookEventId).not.toBe(b.webhookEventId);
    expect(a.replyToken).not.toBe(b.replyToken);
    expect(a.message.id).not.toBe(b.message.id);
  });

  test("quote tokens where the OpenAPI schema requires them", () => {
    for (const e of [event.text("t"), event.image(), event.video(), event.sticker()]) {
      expect(typeof e.message.quoteToken).toBe("string");
    }
    expect(event.follow().follow).toEqual({ isUnblocked: false });
    expect(event.follow({ isUnblocked: true }).follow).toEqual({ isUnblocked: true });
  });

  test("default chats: a user for 1:1 events, a group without sender for membership of chats", () => {
    expect(event.text("x").source).toEqual({ type: "user", userId: DEFAULT_USER_ID });
    expect(event.join().source).toEqual({ type: "group", groupId: DEFAULT_GROUP_ID });
    expect(event.memberJoined(["Ua", "Ub"]).joined.members).toEqual([user("Ua"), user("Ub")]);
    for (const e of [event.botSuspended(), event.botResumed(), event.module(), event.delivery()]) {
      expect("source" in e).toBe(false);
    }
    expect("source" in event.accountLink("failed")).toBe(false);
  });

  test("chat helpers build sources; null omits the sender", () => {
    expect(user("Ux")).toEqual({ type: "user", userId: "Ux" });
    expect(group("Cg", "Uu")).toEqual({ type: "group", groupId: "Cg", userId: "Uu" });
    expect(group("Cg", null)).toEqual({ type: "group", groupId: "Cg" });
    expect(room("Rr")).toEqual({ type: "room", roomId: "Rr", userId: DEFAULT_USER_ID });
    expect(event.text("hi", { chat: room("Rr", "Uu") }).source).toEqual(room("Rr", "Uu"));
  });

  test("overrides replace the common fields", () => {
    const e = event.postback("d", {
      timestamp: 1_000,
      webhookEventId: "01FZ74A0TDDPYRVKNK77XKC3ZR",
      replyToken: "token",
      deliveryContext: { isRedelivery: true },
      chat: group("Cx", "Uy"),
    });
    expect(e).toMatchObject({
      timestamp: 1_000,
      webhookEventId: "01FZ74A0TDDPYRVKNK77XKC3ZR",
      replyToken: "token",
      deliveryContext: { isRedelivery: true },
      source: { type: "group", groupId: "Cx", userId: "Uy" },
    });
    const bare = event.text("x", { chat: null, replyToken: null });
    expect("source" in bare).toBe(false);
    expect("replyToken" in bare).toBe(false);
    expect(expectKnown(classifyEvent(bare)).type).toBe("message");
  });

  test("standby events carry no replyToken unless one is given", () => {
    expect("replyToken" in event.text("x", { mode: "standby" })).toBe(false);
    expect(event.text("x", { mode: "standby", replyToken: "t" }).replyToken).toBe("t");
  });

  test("mentions are located in the text; isSelf mentions the bot", () => {
    const e = event.text("@All hi @bot and @bob", {
      chat: group(),
      mention: [
        { at: "@All", type: "all" },
        { at: "@bot", isSelf: true },
        { at: "@bob", userId: "Ubob" },
      ],
    });
    expect(e.message.mention?.mentionees).toEqual([
      { index: 0, length: 4, type: "all" },
      { index: 8, length: 4, type: "user", userId: BOT_USER_ID, isSelf: true },
      { index: 17, length: 4, type: "user", userId: "Ubob", isSelf: false },
    ]);
    expect(() => event.text("hello", { mention: [{ at: "@nobody" }] })).toThrow("@nobody");
  });

  test("message options reach the message", () => {
    const e = event.image({
      messageId: "42",
      contentProvider: { type: "external", originalContentUrl: "https://a/b.jpg" },
      imageSet: { id: "set", index: 1, total: 2 },
    });
    expect(e.message).toMatchObject({
      id: "42",
      contentProvider: { type: "external", originalContentUrl: "https://a/b.jpg" },
      imageSet: { id: "set", index: 1, total: 2 },
    });
    const s = event.sticker("11537", "52002738", {
      stickerResourceType: "ANIMATION",
      keywords: ["hi"],
    });
    expect(s.message).toMatchObject({
      packageId: "11537",
      stickerId: "52002738",
      keywords: ["hi"],
    });
    expect(event.messageEdited("x", { messageId: "7" }).message.id).toBe("7");
  });

  test("the clock sets timestamps and the time part of ids", () => {
    setEventClock(() => 1_625_665_242_211);
    const e = event.follow();
    expect(e.timestamp).toBe(1_625_665_242_211);
    // LINE's docs pair this timestamp's millisecond with ids starting 01FZ...
    expect(e.webhookEventId?.slice(0, 10)).toBe(ulid(1_625_665_242_211).slice(0, 10));
    expect(e.webhookEventId?.startsWith("01F")).toBe(true);
    setEventClock();
    expect(Math.abs((event.follow().timestamp ?? 0) - Date.now())).toBeLessThan(60_000);
  });

  test("ids from a frozen clock are unique and increasing", () => {
    setEventClock(() => 1_000);
    const ids = Array.from({ length: 2_000 }, () => event.unfollow().webhookEventId ?? "");
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids) expect(id).toMatch(ULID);
  });

  test("envelope wraps events for a webhook body", () => {
    const body = envelope([event.text("a"), event.follow()]);
    expect(body.destination).toBe(BOT_USER_ID);
    expect(webhookEnvelopeSchema.safeParse(body).success).toBe(true);
    expect(body.events.map((e) => classifyEvent(e).kind)).toEqual(["known", "known"]);
  });
});

describe("classifyEvent", () => {
  test("re-serialising a parsed event loses nothing, including fields LINE adds later", () => {
    const input = {
      ...event.text("hi @x", { chat: group(), mention: [{ at: "@x" }] }),
      brandNewTopLevel: { nested: [1, 2, 3] },
    };
    const message = input.message as Record<string, unknown>;
    message.brandNewMessageField = "kept";
    (input.source as Record<string, unknown>).brandNewSourceField = true;
    (input.deliveryContext as Record<string, unknown>).reason = "retry";
    const mentionee = input.message.mention?.mentionees[0] as Record<string, unknown>;
    mentionee.brandNewMentioneeField = 1;
    const before = JSON.stringify(input);

    const parsed = expectKnown(classifyEvent(JSON.parse(before)));
    expect(JSON.stringify(parsed)).toBe(before);
  });

  for (const [name, make] of cases) {
    test(`${name}: round-trips unchanged`, () => {
      const wire = JSON.stringify(make());
      expect(JSON.stringify(expectKnown(classifyEvent(JSON.parse(wire))))).toBe(wire);
    });
  }

  test("an unknown event type is unknown, kept whole", () => {
    const input = {
      type: "greatNewFeature",
      timestamp: 1,
      mode: "active",
      source: { type: "user", userId: "U1" },
      replyToken: "r",
      greatNewField: { a: 1 },
    };
    const { event: parsed, reason } = expectUnknown(classifyEvent(structuredClone(input)));
    expect(parsed).toEqual(input);
    expect(reason).toContain("greatNewFeature");
  });

  test("an unknown message type is unknown, for message and messageEdited", () => {
    for (const type of ["message", "messageEdited"]) {
      const input = { type, message: { type: "hologram", id: "1" }, timestamp: 1 };
      const { event: parsed, reason } = expectUnknown(classifyEvent(input));
      expect(parsed).toEqual(input);
      expect(reason).toContain('unknown message type "hologram"');
    }
  });

  test("a known type with a broken body is unknown, with a reason naming the field", () => {
    const broken: [unknown, string][] = [
      [{ type: "message", message: { type: "text", text: "no id" } }, "message.id"],
      [{ type: "message" }, "message"],
      [{ type: "beacon", beacon: { type: "enter" } }, "beacon.hwid"],
      [{ type: "postback", postback: { params: {} } }, "postback.data"],
      [{ type: "unfollow", source: { type: "group" } }, "source"],
      [{ type: "follow", source: { type: "spaceship", userId: "U1" } }, "source"],
      [{ type: "memberJoined", joined: { members: [{ type: "group" }] } }, "joined.members"],
      [
        { type: "membership", membership: { type: "joined", membershipId: "3189" } },
        "membershipId",
      ],
    ];
    for (const [input, field] of broken) {
      const { event: parsed, reason } = expectUnknown(classifyEvent(input));
      expect(parsed).toEqual(input as UnknownEvent);
      expect(reason).toContain("malformed");
      expect(reason).toContain(field);
    }
  });

  test("only the payload is required: a bare message event is known", () => {
    const parsed = expectKnown(
      classifyEvent({ type: "message", message: { type: "text", id: "1", text: "hi" } }),
    );
    expect(parsed.type).toBe("message");
    expect(parsed.timestamp).toBeUndefined();
  });

  test("enumerations LINE may extend accept new values", () => {
    const inputs = [
      { ...event.beacon(), beacon: { hwid: "h", type: "leave" } },
      { ...event.membership(), membership: { type: "paused", membershipId: 1 } },
      { ...event.accountLink(), link: { result: "pending", nonce: "n" } },
      { ...event.follow(), mode: "observer" },
      event.sticker("1", "2", { stickerResourceType: "HOLOGRAM" }),
      event.image({ contentProvider: { type: "cdn" } }),
      event.module("detached", { reason: "contract_ended" }),
    ];
    for (const input of inputs) expect(classifyEvent(input).kind).toBe("known");
  });

  test("values that are not events are unknown `invalid`, the original under `raw`, never throwing", () => {
    const values: unknown[] = [
      null,
      undefined,
      42,
      "message",
      true,
      [],
      [{ type: "message" }],
      {},
      { type: 5 },
      { type: null, message: {} },
    ];
    for (const value of values) {
      const { event: parsed, reason } = expectUnknown(classifyEvent(value));
      expect(parsed.type).toBe("invalid");
      expect(parsed.raw).toBe(value);
      expect(reason.length).toBeGreaterThan(0);
    }
  });

  test("an event whose common fields have the wrong types is `invalid`, kept under `raw`", () => {
    for (const input of [
      { type: "brandNew", timestamp: "yesterday" },
      { type: "message", message: { type: "hologram", id: "1" }, source: "user" },
      { type: "message", message: { type: "text" }, webhookEventId: 7 },
    ]) {
      const { event: parsed } = expectUnknown(classifyEvent(input));
      expect(parsed).toEqual({ type: "invalid", raw: input });
    }
  });

  test("type names from Object.prototype are not known types", () => {
    for (const type of ["constructor", "toString", "__proto__", "hasOwnProperty"]) {
      expect(classifyEvent({ type }).kind).toBe("unknown");
    }
  });

  test("the returned event is the input object itself", () => {
    const input = event.text("same");
    expect(expectKnown(classifyEvent(input))).toBe(input);
  });
});

describe("webhookEnvelopeSchema", () => {
  const ok = (body: unknown) => webhookEnvelopeSchema.safeParse(body).success;

  test("accepts the verify ping and bodies without destination", () => {
    expect(ok({ destination: BOT_USER_ID, events: [] })).toBe(true);
    expect(ok({ events: [] })).toBe(true);
    expect(ok({ events: [{ type: "anything" }, 42] })).toBe(true);
  });

  test("rejects a body whose events is not an array or whose destination is not a string", () => {
    expect(ok({ destination: BOT_USER_ID })).toBe(false);
    expect(ok({ events: {} })).toBe(false);
    expect(ok({ events: "[]" })).toBe(false);
    expect(ok({ destination: 42, events: [] })).toBe(false);
    expect(ok({ destination: null, events: [] })).toBe(false);
    expect(ok([])).toBe(false);
    expect(ok(null)).toBe(false);
  });

  test("keeps unknown envelope fields", () => {
    const parsed = webhookEnvelopeSchema.parse({ events: [], extra: 1 });
    expect(parsed).toEqual({ events: [], extra: 1 });
  });
});

describe("types", () => {
  test("factories and helpers are typed by the event model", () => {
    expectTypeOf(event.text("x")).toEqualTypeOf<Made<MessageEventOf<TextMessage>>>();
    expectTypeOf(event.sticker().message).toEqualTypeOf<StickerMessage>();
    expectTypeOf<EventOfType<"beacon">>().toEqualTypeOf<BeaconEvent>();
    expectTypeOf(event.text("x").message.text).toBeString();

    const narrow = (e: WebhookEvent) => {
      if (e.type === "message" && e.message.type === "text") return e.message.text;
      if (e.type === "postback") return e.postback.data;
      return undefined;
    };
    expectTypeOf(narrow).returns.toEqualTypeOf<string | undefined>();
    expect(narrow(event.postback("pb"))).toBe("pb");
  });
});
