import { describe, expect, test } from "bun:test";
import { nestsDeeperThan } from "../../src/webhook/nesting.ts";

/** How deep a JSON value nests, counted on the parsed value. */
function depthOf(value: unknown): number {
  if (value === null || typeof value !== "object") return 0;
  const children = Array.isArray(value) ? value : Object.values(value);
  return 1 + Math.max(0, ...children.map(depthOf));
}

describe("nestsDeeperThan", () => {
  test("counts arrays and objects alike, exactly at the limit", () => {
    expect(nestsDeeperThan("[[[]]]", 3)).toBe(false);
    expect(nestsDeeperThan("[[[[]]]]", 3)).toBe(true);
    expect(nestsDeeperThan('{"a":{"b":[{}]}}', 4)).toBe(false);
    expect(nestsDeeperThan('{"a":{"b":[{}]}}', 3)).toBe(true);
    expect(nestsDeeperThan("1", 0)).toBe(false);
    expect(nestsDeeperThan("[]", 0)).toBe(true);
  });

  test("siblings do not add up: depth is how far down, not how many", () => {
    expect(nestsDeeperThan(`[${"[],".repeat(1000)}[]]`, 2)).toBe(false);
    expect(nestsDeeperThan(`{"a":[1],"b":{"c":[2]},"d":[[3]]}`, 3)).toBe(false);
  });

  test("brackets in strings are text, also after escaped quotes and backslashes", () => {
    for (const text of [
      '["[[[["]',
      '["\\"[[[["]',
      '["\\\\", [1]]',
      '["\\\\\\"[[", [1]]',
      '{"[{":"}]"}',
    ]) {
      const parsed: unknown = JSON.parse(text);
      expect(nestsDeeperThan(text, depthOf(parsed))).toBe(false);
      expect(nestsDeeperThan(text, depthOf(parsed) - 1)).toBe(true);
    }
  });

  test("agrees with the parsed depth on values of every shape", () => {
    const values: unknown[] = [
      { events: [{ type: "message", message: { type: "text", text: 'a "[quoted]" {x}' } }] },
      [[1, [2, [3, { a: ["]", "[", "\\"] }]]]],
      { 'key with "["': { "\\": [[[]]] } },
      "just a string with [ and {",
    ];
    for (const value of values) {
      const text = JSON.stringify(value);
      const depth = depthOf(value);
      expect(nestsDeeperThan(text, depth)).toBe(false);
      if (depth > 0) expect(nestsDeeperThan(text, depth - 1)).toBe(true);
    }
  });

  test("a 100,000-deep body is caught at the limit, without recursion", () => {
    const deep = "[".repeat(100_000) + "]".repeat(100_000);
    expect(nestsDeeperThan(deep, 64)).toBe(true);
  });
});
