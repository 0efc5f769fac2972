import { describe, expect, test } from "bun:test";
import {
  action,
  flex,
  InvalidMessageError,
  imagemap,
  message,
  quickReply,
  template,
  withQuickReply,
} from "hotline";
import examples from "../line/fixtures/line-docs-examples.json";

const { messages, actions } = examples;

/** The error a build throws, which must be LINE's rule broken. */
function refusal(build: () => unknown): string {
  try {
    build();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidMessageError);
    return (error as Error).message;
  }
  throw new Error("expected the builder to refuse");
}

describe("the builders make LINE's own examples", () => {
  test("actions", () => {
    expect(
      action.postback("Buy", "action=buy&itemid=111", {
        displayText: "Buy",
        inputOption: "openKeyboard",
        fillInText: "---\nName: \nPhone: \nBirthday: \n---",
      }),
    ).toEqual(actions.postback as never);
    expect(action.message("Yes")).toEqual(actions["message-action"] as never);
    expect(action.uri("Menu", "https://example.com/menu")).toEqual(actions.uri as never);
    expect(
      action.datetime("Select date", "storeId=12345", "datetime", {
        initial: "2017-12-25t00:00",
        max: "2018-01-24t23:59",
        min: "2017-12-25t00:00",
      }),
    ).toEqual(actions.datetimepicker as never);
    expect(action.camera("Camera")).toEqual(actions.camera as never);
    expect(action.cameraRoll("Camera roll")).toEqual(actions["camera-roll"] as never);
    expect(action.location("Location")).toEqual(actions["location-action"] as never);
    expect(action.clipboard("Copy", "3B48740B")).toEqual(actions.clipboard as never);
    expect(action.richMenuSwitch("", "richmenu-alias-b", "richmenu-changed-to-b")).toMatchObject({
      type: "richmenuswitch",
      richMenuAliasId: "richmenu-alias-b",
    });
  });

  test("a buttons template", () => {
    const built = template.message(
      "This is a buttons template",
      template.buttons(
        "Please select",
        [
          action.postback("Buy", "action=buy&itemid=123"),
          action.postback("Add to cart", "action=add&itemid=123"),
          action.uri("View detail", "http://example.com/page/123"),
        ],
        {
          thumbnailImageUrl: "https://example.com/bot/images/image.jpg",
          imageAspectRatio: "rectangle",
          imageSize: "cover",
          imageBackgroundColor: "#FFFFFF",
          title: "Menu",
          defaultAction: action.uri("View detail", "http://example.com/page/123"),
        },
      ),
    );
    expect(built).toEqual(messages.buttons as never);
  });

  test("a confirm template", () => {
    const built = template.message(
      "this is a confirm template",
      template.confirm("Are you sure?", [action.message("Yes", "yes"), action.message("No", "no")]),
    );
    expect(built).toEqual(messages.confirm as never);
  });

  test("an image carousel", () => {
    const columns = messages["image-carousel"].template.columns;
    const built = template.message(
      "this is a image carousel template",
      template.imageCarousel(
        columns.map((column) => template.imageColumn(column.imageUrl, column.action as never)),
      ),
    );
    expect(built).toEqual(messages["image-carousel"] as never);
  });

  test("a Flex bubble", () => {
    const built = flex.message(
      "this is a flex message",
      flex.bubble({ body: flex.vbox([flex.text("hello"), flex.text("world")]) }),
    );
    expect(built).toEqual(messages.flex as never);
  });

  test("an imagemap with two areas", () => {
    const built = imagemap.message(
      "This is an imagemap",
      "https://example.com/bot/images/rm001",
      1040,
      [
        imagemap.uri("https://example.com/", imagemap.area(0, 0, 520, 1040)),
        imagemap.text("Hello", imagemap.area(520, 0, 520, 1040)),
      ],
    );
    expect(built).toMatchObject({ type: "imagemap", baseSize: { width: 1040, height: 1040 } });
    expect(built.actions).toHaveLength(2);
  });

  test("a quick reply, with the existing helpers", () => {
    const built = withQuickReply(
      message.text("Select your favorite food category or send me your location!"),
      [
        quickReply.action(action.cameraRoll("Send photo")),
        quickReply.action(action.camera("Open camera")),
      ],
    );
    expect(built).toEqual(messages["quick-reply"] as never);
  });
});

describe("the builders refuse what LINE would", () => {
  test("a 14th quick reply button, and a label over 20", () => {
    const items = Array.from({ length: 14 }, () => quickReply.postback("pick", "data"));
    expect(refusal(() => withQuickReply(message.text("hi"), items))).toContain(
      "quickReply.items: 14 > 13",
    );
    const long = quickReply.message("a label of twenty-one");
    expect(refusal(() => withQuickReply(message.text("hi"), [long]))).toContain(
      "quickReply.items[0].action.label: 21 > 20",
    );
  });

  test("postback data over 300 and displayText over 300", () => {
    expect(refusal(() => action.postback("Buy", "d".repeat(301)))).toContain("data: 301 > 300");
    expect(refusal(() => quickReply.postback("Buy", "d", "t".repeat(301)))).toContain(
      "displayText: 301 > 300",
    );
  });

  test("five buttons, a title over 40, text over 60 beside a title", () => {
    const five = Array.from({ length: 5 }, (_, i) => action.message(`Option ${i}`));
    expect(refusal(() => template.message("alt", template.buttons("Pick", five)))).toContain(
      "template.actions: 5 > 4",
    );
    const titled = template.buttons("t".repeat(61), five.slice(0, 2), { title: "Menu" });
    expect(refusal(() => template.message("alt", titled))).toContain("template.text: 61 > 60");
    const longTitle = template.buttons("Pick", five.slice(0, 2), { title: "t".repeat(41) });
    expect(refusal(() => template.message("alt", longTitle))).toContain("template.title: 41 > 40");
  });

  test("carousel columns with different numbers of buttons", () => {
    const carousel = template.carousel([
      template.column("One", [action.message("A"), action.message("B")]),
      template.column("Two", [action.message("C")]),
    ]);
    expect(refusal(() => template.message("alt", carousel))).toContain(
      "template.columns[1].actions",
    );
  });

  test("a Flex carousel of 13 bubbles, a bubble over 30 KB", () => {
    const bubble = flex.bubble({ body: flex.vbox([flex.text("hi")]) });
    expect(refusal(() => flex.carousel(Array(13).fill(bubble)))).toContain("contents: 13 > 12");
    const texts = Array.from({ length: 400 }, () => flex.text("t".repeat(80)));
    expect(refusal(() => flex.bubble({ body: flex.vbox(texts) }))).toContain("bubble:");
  });

  test("an image over http, empty text, an imagemap action outside the schema", () => {
    expect(refusal(() => message.image("http://example.com/a.jpg"))).toContain(
      "originalContentUrl: not an https URL",
    );
    expect(refusal(() => message.text(""))).toContain("text: empty");
    const tooLong = imagemap.text("t".repeat(401), imagemap.area(0, 0, 10, 10));
    expect(refusal(() => imagemap.message("alt", "https://e.com/i", 1040, [tooLong]))).toContain(
      "actions[0].text: 401 > 400",
    );
  });
});
