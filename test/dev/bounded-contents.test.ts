import { describe, expect, test } from "bun:test";
import { BoundedContents } from "../../src/dev/line-stand-in/bounded-contents.ts";

const content = (size: number, preview = 0) => ({
  bytes: new Uint8Array(size),
  ...(preview ? { preview: new Uint8Array(preview) } : {}),
});

describe("BoundedContents", () => {
  test("keeps the newest entries within the count", () => {
    const kept = new BoundedContents({ maxEntries: 3, maxBytes: 1000 });
    for (const id of ["a", "b", "c", "d"]) kept.set(id, content(1));
    expect([...kept.keys()]).toEqual(["b", "c", "d"]);
    expect(kept.bytes).toBe(3);
  });

  test("keeps the newest entries within the bytes, previews counted", () => {
    const kept = new BoundedContents({ maxEntries: 100, maxBytes: 100 });
    kept.set("a", content(40));
    kept.set("b", content(30, 20));
    expect(kept.bytes).toBe(90);
    kept.set("c", content(30));
    expect([...kept.keys()]).toEqual(["b", "c"]);
    expect(kept.bytes).toBe(80);
  });

  test("setting an entry again replaces its size and makes it the newest", () => {
    const kept = new BoundedContents<{ bytes: Uint8Array; gone?: number }>({
      maxEntries: 2,
      maxBytes: 100,
    });
    kept.set("a", content(50));
    kept.set("b", content(10));
    kept.set("a", { ...content(50), gone: 410 });
    expect(kept.bytes).toBe(60);
    kept.set("c", content(10));
    expect([...kept.keys()]).toEqual(["a", "c"]);
    expect(kept.get("a")).toMatchObject({ gone: 410 });
  });

  test("the newest is kept even alone over the budget; delete and clear give the bytes back", () => {
    const kept = new BoundedContents({ maxEntries: 5, maxBytes: 10 });
    kept.set("a", content(5));
    kept.set("huge", content(50));
    expect([...kept.keys()]).toEqual(["huge"]);
    expect(kept.delete("huge")).toBe(true);
    expect(kept.delete("huge")).toBe(false);
    expect(kept.bytes).toBe(0);
    kept.set("b", content(4));
    kept.clear();
    expect(kept.size).toBe(0);
    expect(kept.bytes).toBe(0);
  });
});
