import { describe, expect, test } from "bun:test";
import {
  decodePostbackData,
  encodePostbackData,
  POSTBACK_DATA_LIMIT,
  PostbackDataError,
  postbackAddress,
  postbackKey,
} from "../../src/sdk/postback-data.ts";

const todoKey = postbackKey("channel-secret", "todo");
const otherKey = postbackKey("channel-secret", "other");

describe("postback data", () => {
  test("round-trips a payload, tagged with its plugin and route", () => {
    const data = encodePostbackData(todoKey, { plugin: "todo", route: "done" }, { id: 42 });
    expect(data.length).toBeLessThanOrEqual(POSTBACK_DATA_LIMIT);
    expect(postbackAddress(data)).toEqual({ plugin: "todo", route: "done" });
    expect(decodePostbackData(todoKey, data)).toEqual({ route: "done", payload: { id: 42 } });
  });

  test("altered data, another plugin's prefix, or foreign data never decodes", () => {
    const data = encodePostbackData(todoKey, { plugin: "todo", route: "done" }, { id: 42 });
    const tampered = data.replace(
      Buffer.from('{"id":42}').toString("base64url"),
      Buffer.from('{"id":43}').toString("base64url"),
    );
    expect(() => decodePostbackData(todoKey, tampered)).toThrow(PostbackDataError);
    // Rewritten to name another plugin: that plugin's key does not verify it.
    const forged = data.replace("hl:todo:", "hl:other:");
    expect(postbackAddress(forged)).toEqual({ plugin: "other", route: "done" });
    expect(() => decodePostbackData(otherKey, forged)).toThrow(PostbackDataError);
    expect(postbackAddress("action=buy&itemid=111")).toBeUndefined();
  });

  test("data over LINE's 300 characters is refused when built", () => {
    expect(() =>
      encodePostbackData(todoKey, { plugin: "todo", route: "save" }, { text: "x".repeat(300) }),
    ).toThrow("300");
  });
});
