/**
 * The bun:test shim checks what bun's matchers check: each case must pass, and its counterpart must
 * fail. Without this, a shim that accepted everything would make the plugin suite pass on Deno.
 */
import assert from "node:assert/strict";
import { expect } from "./bun-test.ts";
import { Deno } from "./deno-api.ts";

const cases: Array<[name: string, passes: () => unknown, fails: () => unknown]> = [
  ["toBe", () => expect(1).toBe(1), () => expect({}).toBe({})],
  ["not.toBe", () => expect(1).not.toBe(2), () => expect("a").not.toBe("a")],
  [
    "toEqual ignores undefined properties and classes",
    () => expect({ a: 1, b: undefined }).toEqual(Object.assign(Object.create(null), { a: 1 })),
    () => expect({ a: 1 }).toEqual({ a: 1, b: 2 }),
  ],
  [
    "toEqual is deep, over arrays, bytes and dates",
    () =>
      expect([{ x: [1, new Uint8Array([2])] }, new Date(5)]).toEqual([
        { x: [1, new Uint8Array([2])] },
        new Date(5),
      ]),
    () => expect([{ x: [1, new Uint8Array([2])] }]).toEqual([{ x: [1, new Uint8Array([3])] }]),
  ],
  [
    "toEqual: array length",
    () => expect([1, 2]).toEqual([1, 2]),
    () => expect([1]).toEqual([1, 2]),
  ],
  [
    "toEqual: array is not object",
    () => expect({ 0: 1 }).toEqual({ 0: 1 }),
    () => expect([1]).toEqual({ 0: 1 }),
  ],
  [
    "toMatchObject checks a subset, recursively",
    () => expect({ a: 1, b: { c: 2, d: 3 } }).toMatchObject({ b: { c: 2 } }),
    () => expect({ a: 1, b: { c: 2 } }).toMatchObject({ b: { c: 3 } }),
  ],
  [
    "toMatchObject: arrays must match in length",
    () => expect([{ a: 1, b: 2 }]).toMatchObject([{ a: 1 }]),
    () => expect([{ a: 1 }, { a: 2 }]).toMatchObject([{ a: 1 }]),
  ],
  [
    "toMatchObject: a missing property fails",
    () => expect({ a: null }).toMatchObject({ a: null }),
    () => expect({}).toMatchObject({ a: null }),
  ],
  ["toHaveLength", () => expect("abc").toHaveLength(3), () => expect([1]).toHaveLength(2)],
  [
    "toContain (string and array, by identity)",
    () => expect(["x", "y"]).toContain("y"),
    () => expect([{ a: 1 }]).toContain({ a: 1 }),
  ],
  [
    "not.toContain",
    () => expect("hello").not.toContain("z"),
    () => expect("hello").not.toContain("ell"),
  ],
  ["toMatch", () => expect("abc").toMatch(/b/), () => expect("abc").toMatch(/^b/)],
  ["toStartWith", () => expect("abc").toStartWith("ab"), () => expect("abc").toStartWith("b")],
  ["toBeUndefined", () => expect(undefined).toBeUndefined(), () => expect(null).toBeUndefined()],
  ["toBeDefined", () => expect(0).toBeDefined(), () => expect(undefined).toBeDefined()],
  ["toBeNull", () => expect(null).toBeNull(), () => expect(undefined).toBeNull()],
  ["not.toBeNull", () => expect(0).not.toBeNull(), () => expect(null).not.toBeNull()],
  ["toBeString", () => expect("").toBeString(), () => expect(1).toBeString()],
  ["toBeGreaterThan", () => expect(2).toBeGreaterThan(1), () => expect(1).toBeGreaterThan(1)],
  [
    "toBeGreaterThanOrEqual",
    () => expect(1).toBeGreaterThanOrEqual(1),
    () => expect(0).toBeGreaterThanOrEqual(1),
  ],
  ["toBeLessThan", () => expect(1).toBeLessThan(2), () => expect(2).toBeLessThan(2)],
  [
    "toBeLessThanOrEqual",
    () => expect(2).toBeLessThanOrEqual(2),
    () => expect(3).toBeLessThanOrEqual(2),
  ],
  [
    "toBeInstanceOf",
    () => expect(new TypeError("x")).toBeInstanceOf(Error),
    () => expect({}).toBeInstanceOf(Error),
  ],
  [
    "toHaveProperty",
    () => expect({ a: { b: 1 } }).toHaveProperty("a.b", 1),
    () => expect({ a: { b: 1 } }).toHaveProperty("a.c"),
  ],
  [
    "not.toHaveProperty",
    () => expect({ a: 1 }).not.toHaveProperty("isSelf"),
    () => expect({ isSelf: true }).not.toHaveProperty("isSelf"),
  ],
  [
    "toThrow",
    () =>
      expect(() => {
        throw new Error("FOREIGN KEY constraint failed");
      }).toThrow(/FOREIGN KEY/),
    () => expect(() => {}).toThrow(),
  ],
  [
    "not.toThrow",
    () => expect(() => {}).not.toThrow(),
    () =>
      expect(() => {
        throw new Error("x");
      }).not.toThrow(),
  ],
  [
    "asymmetric matchers",
    () =>
      expect({ s: "hello", n: 1, o: { a: 1, b: 2 }, l: [1, 2, 3] }).toEqual({
        s: expect.stringContaining("ell"),
        n: expect.any(Number),
        o: expect.objectContaining({ a: 1 }),
        l: expect.arrayContaining([3, 1]),
      }),
    () => expect({ s: "hello" }).toEqual({ s: expect.stringMatching(/^x/) }),
  ],
  [
    "expect.any(String)",
    () => expect("x").toEqual(expect.any(String)),
    () => expect(1).toEqual(expect.any(String)),
  ],
];

Deno.test({
  name: "bun:test shim: every matcher passes on a match and fails on a mismatch",
  fn() {
    for (const [name, passes, fails] of cases) {
      assert.doesNotThrow(passes, `${name}: should pass`);
      assert.throws(fails, { name: "AssertionError" }, `${name}: should fail`);
    }
  },
});

Deno.test({
  name: "bun:test shim: resolves and rejects",
  async fn() {
    await expect(Promise.reject(new TypeError("no"))).rejects.toBeInstanceOf(TypeError);
    await expect(Promise.reject(new Error("boom"))).rejects.toThrow("boom");
    await assert.rejects(expect(Promise.resolve(1)).rejects.toThrow(), { name: "AssertionError" });
    await assert.rejects(expect(Promise.reject(new Error("x"))).rejects.toThrow("y"), {
      name: "AssertionError",
    });
    await expect(Promise.resolve(2)).resolves.toBe(2);
    await assert.rejects(expect(Promise.resolve(2)).resolves.toBe(3), { name: "AssertionError" });
  },
});
