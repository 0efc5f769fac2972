import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import {
  generateTypes,
  generateValidators,
  OUTPUT_PATH,
  TYPES_PATH,
  YAML_PATH,
} from "../../scripts/line-schema.ts";
import {
  assertValid,
  describeViolation,
  InvalidMessageError,
  type LineSchema,
  messageViolations,
  violations,
} from "../../src/line/validate.ts";
import examples from "./fixtures/line-docs-examples.json";

type Json = Record<string, unknown>;
const copy = <T>(value: T): T => structuredClone(value);
const { messages, actions, richMenu } = examples;

describe("LINE's own examples", () => {
  test.each(Object.entries(messages))("message %s passes", (_, message) => {
    expect(violations("Message", message)).toEqual([]);
  });
  test.each(Object.entries(actions))("action %s passes", (_, action) => {
    expect(violations("Action", action)).toEqual([]);
  });
  test("the rich menu passes", () => {
    expect(violations("RichMenuRequest", richMenu)).toEqual([]);
  });
  test("a reply of five of them passes", () => {
    const body = { replyToken: "token", messages: Object.values(messages).slice(0, 5) };
    expect(violations("ReplyMessageRequest", body)).toEqual([]);
  });
});

const text = (extra: Json = {}) => ({ type: "text", text: "hi", ...extra });
const postback = (extra: Json = {}) => ({ type: "postback", label: "Buy", data: "buy", ...extra });
const item = (action: Json) => ({ type: "action", action });
const buttons = (template: Json) => ({
  type: "template",
  altText: "alt",
  template: { type: "buttons", text: "Pick", actions: [postback()], ...template },
});
const bubble = (contents: Json[] = [{ type: "text", text: "hi" }]) => ({
  type: "bubble",
  body: { type: "box", layout: "vertical", contents },
});
const flex = (contents: Json) => ({ type: "flex", altText: "alt", contents });
const withCarousel = (mutate: (template: Json) => void) => {
  const message = copy(messages.carousel) as Json;
  mutate(message.template as Json);
  return message;
};
const withImagemap = (mutate: (message: Json) => void) => {
  const message = copy(messages.imagemap) as Json;
  mutate(message);
  return message;
};
const withMenu = (mutate: (menu: Json) => void) => {
  const menu = copy(richMenu) as Json;
  mutate(menu);
  return menu;
};
const userId = `U${"a".repeat(32)}`;

/** Each documented limit broken once: [what, schema, value, property, rule]. */
const BROKEN: Array<[string, LineSchema, unknown, string, string]> = [
  [
    "six messages",
    "PushMessageRequest",
    { to: userId, messages: Array(6).fill(text()) },
    "messages",
    "6 > 5",
  ],
  ["no message", "ReplyMessageRequest", { replyToken: "t", messages: [] }, "messages", "0 < 1"],
  ["text over 5,000", "Message", text({ text: "a".repeat(5001) }), "text", "5001 > 5000"],
  [
    "text counted in UTF-16 units",
    "Message",
    text({ text: "😀".repeat(2501) }),
    "text",
    "5002 > 5000",
  ],
  ["empty text", "Message", text({ text: "" }), "text", "empty"],
  ["unknown type", "Message", { type: "fax" }, "type", '"fax" is not one of'],
  [
    "14 quick replies",
    "Message",
    text({ quickReply: { items: Array(14).fill(item(postback())) } }),
    "quickReply.items",
    "14 > 13",
  ],
  [
    "quick reply label over 20",
    "Message",
    text({ quickReply: { items: [item(postback({ label: "a".repeat(21) }))] } }),
    "quickReply.items[0].action.label",
    "21 > 20",
  ],
  [
    "quick reply without label",
    "Message",
    text({ quickReply: { items: [item({ type: "camera" })] } }),
    "quickReply.items[0].action.label",
    "missing",
  ],
  ["postback data over 300", "Action", postback({ data: "d".repeat(301) }), "data", "301 > 300"],
  [
    "postback displayText over 300",
    "Action",
    postback({ displayText: "d".repeat(301) }),
    "displayText",
    "301 > 300",
  ],
  ["postback without data", "Action", { type: "postback", label: "x" }, "data", "missing"],
  [
    "displayText and text together",
    "Action",
    postback({ displayText: "a", text: "b" }),
    "",
    "not allowed together",
  ],
  [
    "message action text over 300",
    "Action",
    { type: "message", label: "x", text: "t".repeat(301) },
    "text",
    "301 > 300",
  ],
  [
    "uri over 1,000",
    "Action",
    { type: "uri", label: "x", uri: `https://e.com/${"a".repeat(1000)}` },
    "uri",
    "1014 > 1000",
  ],
  [
    "datetime picker without mode",
    "Action",
    { type: "datetimepicker", label: "x", data: "d" },
    "mode",
    "missing",
  ],
  [
    "datetime picker mode",
    "Action",
    { type: "datetimepicker", label: "x", data: "d", mode: "week" },
    "mode",
    '"week" is not one of',
  ],
  [
    "rich menu switch alias over 32",
    "Action",
    { type: "richmenuswitch", label: "x", data: "d", richMenuAliasId: "a".repeat(33) },
    "richMenuAliasId",
    "33 > 32",
  ],
  [
    "clipboard text over 1,000",
    "Action",
    { type: "clipboard", label: "x", clipboardText: "c".repeat(1001) },
    "clipboardText",
    "1001 > 1000",
  ],
  [
    "image over http",
    "Message",
    { ...messages.image, originalContentUrl: "http://example.com/a.jpg" },
    "originalContentUrl",
    "not an https URL",
  ],
  [
    "image URL over 2,000",
    "Message",
    { ...messages.image, previewImageUrl: `https://e.com/${"a".repeat(2000)}` },
    "previewImageUrl",
    "2014 > 2000",
  ],
  [
    "location title over 100",
    "Message",
    { ...messages.location, title: "t".repeat(101) },
    "title",
    "101 > 100",
  ],
  [
    "sender name over 20",
    "Message",
    text({ sender: { name: "n".repeat(21) } }),
    "sender.name",
    "21 > 20",
  ],
  [
    "template altText over 1,500",
    "Message",
    { ...buttons({}), altText: "a".repeat(1501) },
    "altText",
    "1501 > 1500",
  ],
  [
    "buttons with 5 actions",
    "Message",
    buttons({ actions: Array(5).fill(postback()) }),
    "template.actions",
    "5 > 4",
  ],
  [
    "buttons title over 40",
    "Message",
    buttons({ title: "t".repeat(41) }),
    "template.title",
    "41 > 40",
  ],
  [
    "buttons text over 160",
    "Message",
    buttons({ text: "t".repeat(161) }),
    "template.text",
    "161 > 160",
  ],
  [
    "buttons text over 60 with a title",
    "Message",
    buttons({ title: "T", text: "t".repeat(61) }),
    "template.text",
    "61 > 60",
  ],
  [
    "buttons action label over 20",
    "Message",
    buttons({ actions: [postback({ label: "l".repeat(21) })] }),
    "template.actions[0].label",
    "21 > 20",
  ],
  [
    "confirm with 3 actions",
    "Message",
    {
      ...messages.confirm,
      template: { ...messages.confirm.template, actions: Array(3).fill(postback()) },
    },
    "template.actions",
    "3 > 2",
  ],
  [
    "confirm text over 240",
    "Message",
    { ...messages.confirm, template: { ...messages.confirm.template, text: "t".repeat(241) } },
    "template.text",
    "241 > 240",
  ],
  [
    "carousel with 11 columns",
    "Message",
    withCarousel((t) => {
      t.columns = Array(11).fill((t.columns as Json[])[0]);
    }),
    "template.columns",
    "11 > 10",
  ],
  [
    "carousel column text over 60 with an image",
    "Message",
    withCarousel((t) => {
      (t.columns as Json[])[0] = { ...(t.columns as Json[])[0], text: "t".repeat(61) };
    }),
    "template.columns[0].text",
    "61 > 60",
  ],
  [
    "carousel columns with different action counts",
    "Message",
    withCarousel((t) => {
      (t.columns as Json[])[1] = { ...(t.columns as Json[])[1], actions: [postback()] };
    }),
    "template.columns[1].actions",
    "1 actions != 3",
  ],
  [
    "image carousel label over 12",
    "Message",
    {
      ...messages["image-carousel"],
      template: {
        type: "image_carousel",
        columns: [{ imageUrl: "https://e.com/a.png", action: postback({ label: "l".repeat(13) }) }],
      },
    },
    "template.columns[0].action.label",
    "13 > 12",
  ],
  [
    "flex carousel of 13 bubbles",
    "Message",
    flex({ type: "carousel", contents: Array(13).fill(bubble()) }),
    "contents.contents",
    "13 > 12",
  ],
  [
    "flex bubble over 30 KB",
    "Message",
    flex(bubble(Array(400).fill({ type: "text", text: "t".repeat(80) }))),
    "contents",
    "> 30720",
  ],
  [
    "flex button label over 40",
    "Message",
    flex(bubble([{ type: "button", action: postback({ label: "l".repeat(41) }) }])),
    "contents.body.contents[0].action.label",
    "41 > 40",
  ],
  [
    "flex altText over 1,500",
    "Message",
    { ...flex(bubble()), altText: "a".repeat(1501) },
    "altText",
    "1501 > 1500",
  ],
  [
    "imagemap width not 1040",
    "Message",
    withImagemap((m) => {
      m.baseSize = { width: 1000, height: 1040 };
    }),
    "baseSize.width",
    "1000 is not 1040",
  ],
  [
    "imagemap with 51 actions",
    "Message",
    withImagemap((m) => {
      m.actions = Array(51).fill((m.actions as Json[])[0]);
    }),
    "actions",
    "51 > 50",
  ],
  [
    "imagemap message text over 400",
    "Message",
    withImagemap((m) => {
      m.actions = [
        { type: "message", text: "t".repeat(401), area: { x: 0, y: 0, width: 10, height: 10 } },
      ];
    }),
    "actions[0].text",
    "401 > 400",
  ],
  [
    "push to a name",
    "PushMessageRequest",
    { to: "bob", messages: [text()] },
    "to",
    "not a user, group or room id",
  ],
  [
    "multicast to 501",
    "MulticastRequest",
    { to: Array(501).fill(userId), messages: [text()] },
    "to",
    "501 > 500",
  ],
  [
    "multicast to a group",
    "MulticastRequest",
    { to: [`C${"a".repeat(32)}`], messages: [text()] },
    "to[0]",
    "not a user id",
  ],
  [
    "rich menu wider than 2,500",
    "RichMenuRequest",
    withMenu((m) => {
      m.size = { width: 2600, height: 1686 };
    }),
    "size.width",
    "2600 > 2500",
  ],
  [
    "rich menu too tall",
    "RichMenuRequest",
    withMenu((m) => {
      m.size = { width: 800, height: 800 };
      (m.areas as Json[])[0] = {
        ...(m.areas as Json[])[0],
        bounds: { x: 0, y: 0, width: 800, height: 800 },
      };
    }),
    "size",
    "narrower than 1.45:1",
  ],
  [
    "rich menu area outside",
    "RichMenuRequest",
    withMenu((m) => {
      (m.areas as Json[])[0] = {
        ...(m.areas as Json[])[0],
        bounds: { x: 100, y: 0, width: 2500, height: 1686 },
      };
    }),
    "areas[0].bounds",
    "2600x1686 outside 2500x1686",
  ],
  [
    "rich menu of 21 areas",
    "RichMenuRequest",
    withMenu((m) => {
      m.areas = Array(21).fill((m.areas as Json[])[0]);
    }),
    "areas",
    "21 > 20",
  ],
  [
    "rich menu without name",
    "RichMenuRequest",
    withMenu((m) => {
      delete m.name;
    }),
    "name",
    "missing",
  ],
  [
    "chat bar text over 14",
    "RichMenuRequest",
    withMenu((m) => {
      m.chatBarText = "c".repeat(15);
    }),
    "chatBarText",
    "15 > 14",
  ],
  [
    "loading for 7 seconds",
    "ShowLoadingAnimationRequest",
    { chatId: userId, loadingSeconds: 7 },
    "loadingSeconds",
    "not a multiple of 5",
  ],
];

describe("each documented limit, broken once", () => {
  test.each(BROKEN)("%s", (_, schema, value, property, rule) => {
    const found = violations(schema, value);
    const named = found.filter((violation) => violation.property === property);
    expect(named.map((violation) => violation.rule).join(" | ")).toContain(rule);
  });
});

describe("what the host and the builders get", () => {
  test("messages are named by their index, the rule in short", () => {
    const items = Array(14).fill(item(postback()));
    const found = messageViolations([text(), text({ quickReply: { items } })]);
    expect(found.map(describeViolation)).toEqual(["messages[1].quickReply.items: 14 > 13"]);
  });

  test("of two label limits on one action, the tighter is reported", () => {
    const action = postback({ label: "l".repeat(45) });
    const found = messageViolations([text({ quickReply: { items: [item(action)] } })]);
    expect(found.map(describeViolation)).toEqual([
      "messages[0].quickReply.items[0].action.label: 45 > 20",
    ]);
  });

  test("LINE's wording, with both bounds", () => {
    const found = violations("ReplyMessageRequest", {
      replyToken: "t",
      messages: Array(6).fill(text()),
    });
    expect(found).toEqual([
      { property: "messages", message: "Size must be between 1 and 5", rule: "6 > 5" },
    ]);
  });

  test("assertValid throws an InvalidMessageError, marked permanent", () => {
    expect(() => assertValid("Message", text({ text: "" }))).toThrow(InvalidMessageError);
    try {
      assertValid("Message", text({ text: "" }), "messages[3]");
    } catch (error) {
      expect((error as InvalidMessageError).permanent).toBe(true);
      expect((error as Error).message).toBe("invalid message: messages[3].text: empty");
    }
  });
});

test("validators.js is what LINE's OpenAPI file and limits.ts give", () => {
  const yaml = readFileSync(YAML_PATH, "utf8");
  expect(readFileSync(OUTPUT_PATH, "utf8")).toBe(generateValidators(yaml));
  expect(readFileSync(TYPES_PATH, "utf8")).toBe(generateTypes());
});
