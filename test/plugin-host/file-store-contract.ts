/**
 * What `ctx.files` must do wherever the bot keeps the files, as one suite run by a real plugin in
 * its real worker, over its routes: in DATA_DIR (SQLite) or in the store through the host
 * (PostgreSQL). A test file runs it with a function that starts a bot on the store.
 */
import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import type { TestBot } from "../../src/dev/testing/mod.ts";
import { CHUNK_BYTES } from "../../src/storage/plugin-files.ts";

/** A plugin whose routes drive its `ctx.files`; one source, any name. */
export const keeper = (name: string) => `
import { definePlugin } from "hotline";
const json = (value, status = 200) => Response.json(value, { status });
const failure = (error) => json({ error: error.name, message: error.message }, 422);
const digest = (request) => new URL(request.url).searchParams.get("sha") ?? "";

/** The bytes in pieces of \`piece\`; breaks after \`failAfter\` bytes; with \`hold\`, never ends. */
function source(bytes, { piece, failAfter, hold, drained }) {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (failAfter !== undefined && at >= failAfter)
        return controller.error(new Error("the source broke"));
      if (at >= bytes.byteLength) {
        if (!hold) return controller.close();
        drained();
        return new Promise(() => {});
      }
      const end = Math.min(at + piece, bytes.byteLength, failAfter ?? Infinity);
      controller.enqueue(bytes.slice(at, end));
      at = end;
    },
  });
}

export default definePlugin({
  name: ${JSON.stringify(name)},
  setup(ctx) {
    ctx.route("POST", "/put", async (request) => {
      const query = new URL(request.url).searchParams;
      const bytes = new Uint8Array(await request.arrayBuffer());
      const options = {
        piece: Number(query.get("piece") ?? 0) || bytes.byteLength || 1,
        failAfter: query.has("failAfter") ? Number(query.get("failAfter")) : undefined,
      };
      const limit = query.has("max") ? { maxBytes: Number(query.get("max")) } : {};
      if (query.has("hold")) {
        // Answers once the whole body is handed over; the put() then waits for more, forever.
        const ready = new Promise((drained) => {
          ctx.files.put(source(bytes, { ...options, hold: true, drained }), limit).catch(() => {});
        });
        await ready;
        return json({ holding: true });
      }
      try {
        return json(await ctx.files.put(source(bytes, options), limit));
      } catch (error) {
        return failure(error);
      }
    });
    ctx.route("GET", "/file", async (request) => {
      try {
        const stream = await ctx.files.get(digest(request));
        return stream ? new Response(stream) : json({ missing: true }, 404);
      } catch (error) {
        return failure(error);
      }
    });
    ctx.route("GET", "/stat", async (request) => {
      try {
        const sha = digest(request);
        return json({ has: await ctx.files.has(sha), size: (await ctx.files.size(sha)) ?? null });
      } catch (error) {
        return failure(error);
      }
    });
    ctx.route("DELETE", "/file", async (request) => {
      try {
        return json({ deleted: await ctx.files.delete(digest(request)) });
      } catch (error) {
        return failure(error);
      }
    });
  },
  on: { follow: () => {} },
});
`;

/** Distinct, recognisable content: `size` bytes derived from `seed`. */
export function bytes(seed: number, size: number): Uint8Array<ArrayBuffer> {
  return Uint8Array.from({ length: size }, (_, i) => (seed * 31 + i * 7 + (i >> 11)) & 0xff);
}

export const sha256 = (content: Uint8Array) => createHash("sha256").update(content).digest("hex");

/** What the keeper plugin answers, through its routes. */
export function keeperOf(bot: TestBot, plugin = "keeper") {
  const call = (method: string, path: string, body?: Uint8Array<ArrayBuffer>) =>
    fetch(`${bot.url}/plugins/${plugin}${path}`, { method, ...(body ? { body } : {}) });
  const sha = (digest: string) => `sha=${encodeURIComponent(digest)}`;
  return {
    async put(content: Uint8Array<ArrayBuffer>, query = "") {
      return (await call("POST", `/put?${query}`, content)).json();
    },
    async get(digest: string): Promise<Uint8Array | { status: number; body: unknown }> {
      const response = await call("GET", `/file?${sha(digest)}`);
      if (response.status !== 200) return { status: response.status, body: await response.json() };
      return new Uint8Array(await response.arrayBuffer());
    },
    stat: async (digest: string) => (await call("GET", `/stat?${sha(digest)}`)).json(),
    delete: async (digest: string) => (await call("DELETE", `/file?${sha(digest)}`)).json(),
  };
}

/** Over two chunk boundaries, and not a multiple of anything the stream or the store uses. */
const SIZE = 2 * CHUNK_BYTES + 70_001;

export function describeFileStoreContract(store: string, start: () => Promise<TestBot>): void {
  describe(`FileStore contract (${store})`, () => {
    test("a file of several chunks comes back whole, whatever pieces the stream was in", async () => {
      const bot = await start();
      const keeper = keeperOf(bot);
      const content = bytes(1, SIZE);

      expect(await keeper.put(content, "piece=100003")).toEqual({
        sha256: sha256(content),
        size: SIZE,
      });

      expect(await keeper.get(sha256(content))).toEqual(content);
      expect(await keeper.stat(sha256(content))).toEqual({ has: true, size: SIZE });
      expect(await bot.files("keeper").list()).toEqual([sha256(content)]);
      expect(await bot.files("keeper").read(sha256(content))).toEqual(content);
      expect(await bot.files("keeper").uploads()).toBe(0);
    });

    test("an empty file and one of exactly one chunk round-trip too", async () => {
      const bot = await start();
      const keeper = keeperOf(bot);
      const empty = new Uint8Array(0);
      const oneChunk = bytes(2, CHUNK_BYTES);

      expect(await keeper.put(empty)).toEqual({ sha256: sha256(empty), size: 0 });
      expect(await keeper.put(oneChunk, "piece=4096")).toEqual({
        sha256: sha256(oneChunk),
        size: CHUNK_BYTES,
      });

      expect(await keeper.get(sha256(empty))).toEqual(empty);
      expect(await keeper.get(sha256(oneChunk))).toEqual(oneChunk);
    });

    test("identical bytes are stored once", async () => {
      const bot = await start();
      const keeper = keeperOf(bot);
      const content = bytes(3, CHUNK_BYTES + 10);

      const first = await keeper.put(content, "piece=65536");
      const second = await keeper.put(content, "piece=999");

      expect(second).toEqual(first);
      expect(await bot.files("keeper").list()).toEqual([sha256(content)]);
      expect(await keeper.get(sha256(content))).toEqual(content);
      expect(await bot.files("keeper").uploads()).toBe(0);
    });

    test("over maxBytes is refused and nothing is kept; exactly maxBytes is fine", async () => {
      const bot = await start();
      const keeper = keeperOf(bot);
      const content = bytes(4, CHUNK_BYTES + 5000);

      expect(await keeper.put(content, `max=${content.byteLength - 1}&piece=10000`)).toMatchObject({
        error: "FileTooLargeError",
      });
      expect(await bot.files("keeper").list()).toEqual([]);
      expect(await bot.files("keeper").uploads()).toBe(0);
      expect(await keeper.stat(sha256(content))).toEqual({ has: false, size: null });

      expect(await keeper.put(content, `max=${content.byteLength}`)).toEqual({
        sha256: sha256(content),
        size: content.byteLength,
      });
    });

    test("a stream that breaks half-way leaves nothing behind", async () => {
      const bot = await start();
      const keeper = keeperOf(bot);
      const content = bytes(5, SIZE);

      expect(await keeper.put(content, `failAfter=${CHUNK_BYTES + 1}&piece=50000`)).toEqual({
        error: "Error",
        message: "the source broke",
      });

      expect(await bot.files("keeper").list()).toEqual([]);
      expect(await bot.files("keeper").uploads()).toBe(0);
    });

    test("a put() under way is invisible until it ends", async () => {
      const bot = await start();
      const keeper = keeperOf(bot);
      const content = bytes(6, CHUNK_BYTES * 2);

      expect(await keeper.put(content, "hold")).toEqual({ holding: true });

      expect(await bot.files("keeper").uploads()).toBe(1);
      expect(await bot.files("keeper").list()).toEqual([]);
      expect(await keeper.stat(sha256(content))).toEqual({ has: false, size: null });
    });

    test("delete removes the file; deleting again says there was none", async () => {
      const bot = await start();
      const keeper = keeperOf(bot);
      const content = bytes(7, SIZE);
      await keeper.put(content);

      expect(await keeper.delete(sha256(content))).toEqual({ deleted: true });

      expect(await keeper.stat(sha256(content))).toEqual({ has: false, size: null });
      expect(await keeper.get(sha256(content))).toEqual({ status: 404, body: { missing: true } });
      expect(await keeper.delete(sha256(content))).toEqual({ deleted: false });
      expect(await bot.files("keeper").list()).toEqual([]);
    });

    test("a name that is not a SHA-256 digest is refused, never used", async () => {
      const bot = await start();
      const keeper = keeperOf(bot);
      const upper = sha256(bytes(8, 10)).toUpperCase();
      for (const bad of ["../../etc/passwd", upper, "abc", ""]) {
        const refused = { error: "TypeError", message: expect.stringContaining("SHA-256") };
        expect(await keeper.stat(bad)).toEqual(refused);
        expect(await keeper.get(bad)).toEqual({ status: 422, body: refused });
        expect(await keeper.delete(bad)).toEqual(refused);
      }
    });

    test("a plugin cannot reach another plugin's files", async () => {
      const bot = await start();
      const keeper = keeperOf(bot);
      const other = keeperOf(bot, "other");
      const content = bytes(9, CHUNK_BYTES + 1);
      await keeper.put(content);

      expect(await other.stat(sha256(content))).toEqual({ has: false, size: null });
      expect(await other.get(sha256(content))).toEqual({ status: 404, body: { missing: true } });
      expect(await other.delete(sha256(content))).toEqual({ deleted: false });
      expect(await bot.files("other").list()).toEqual([]);

      // Storing the same bytes gives the other plugin a copy of its own.
      await other.put(content);
      await other.delete(sha256(content));
      expect(await keeper.get(sha256(content))).toEqual(content);
    });
  });
}
