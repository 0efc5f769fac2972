/**
 * The simulator's uploads are kept in memory (by the LINE stand-in, as LINE's content, and by the
 * simulator, to show them): both keep only the newest, within a count and a total size, whatever
 * is uploaded; a single upload over the limit is refused with 413. Over HTTP, in local mode.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEnv } from "../../src/config/env.ts";
import { DEFAULT_CONTENT_BUDGET } from "../../src/dev/line-stand-in/bounded-contents.ts";
import {
  LOCAL_ACCESS_TOKEN,
  type LocalHotline,
  startLocalHotline,
} from "../../src/dev/local-mode.ts";
import { PEOPLE, Simulator } from "../../src/dev/simulator/simulator.ts";
import { silentLogger } from "../../src/logging/logger.ts";

const [alice] = PEOPLE;
let dir: string;
let local: LocalHotline;
let dev: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "hotline-uploads-"));
  local = await startLocalHotline({
    env: parseEnv({
      PORT: "0",
      HOST: "127.0.0.1",
      DATA_DIR: join(dir, "data"),
      PLUGINS_DIR: join(dir, "plugins"),
      CONFIG_FILE: join(dir, "none.json"),
    }),
    log: silentLogger,
    tuning: { watch: false },
  });
  dev = `${local.hotline.url}${Simulator.PATH}`;
});
afterAll(async () => {
  await local?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Uploads the bytes as Alice's file; resolves with the message id, or the refusal's status. */
async function upload(bytes: Uint8Array<ArrayBuffer>): Promise<{ status: number; id?: string }> {
  const response = await fetch(`${dev}/api/upload?chat=user&user=${alice?.id}&name=f.bin`, {
    method: "POST",
    headers: { "content-type": "application/octet-stream" },
    body: bytes,
  });
  if (response.status !== 200) {
    await response.body?.cancel();
    return { status: response.status };
  }
  const { entry } = (await response.json()) as { entry: { message: { id: string } } };
  return { status: 200, id: entry.message.id };
}

/** What "LINE" answers for the content of a message: 200 and its size, or 404 once dropped. */
async function atLine(id: string | undefined): Promise<{ status: number; size: number }> {
  const response = await local.standIn.fetch(
    new Request(`http://line/v2/bot/message/${id}/content`, {
      headers: { authorization: `Bearer ${LOCAL_ACCESS_TOKEN}` },
    }),
  );
  // The declared length is the size: the bytes themselves need not be copied again.
  const size = Number(response.headers.get("content-length") ?? 0);
  await response.body?.cancel();
  return { status: response.status, size };
}

/** What the simulator's page gets for it. */
async function shown(id: string | undefined): Promise<number> {
  const response = await fetch(`${dev}/api/content/${id}`);
  await response.arrayBuffer();
  return response.status;
}

test("one upload over the limit is refused with 413; the bot goes on serving", async () => {
  const { status } = await upload(new Uint8Array(Simulator.MAX_UPLOAD_BYTES + 1));
  expect(status).toBe(413);
  expect((await fetch(`${local.hotline.url}/healthz`)).status).toBe(200);
  expect((await upload(new Uint8Array([1, 2, 3]))).status).toBe(200);
});

test("past the count, the oldest upload is dropped, at the stand-in and in the simulator", async () => {
  const ids: Array<string | undefined> = [];
  for (let i = 0; i <= DEFAULT_CONTENT_BUDGET.maxEntries; i++)
    ids.push((await upload(new Uint8Array([i % 256, 1]))).id);
  expect((await atLine(ids[0])).status).toBe(404);
  expect(await shown(ids[0])).toBe(404);
  expect(await atLine(ids[1])).toEqual({ status: 200, size: 2 });
  expect(await atLine(ids.at(-1))).toEqual({ status: 200, size: 2 });
  expect(await shown(ids.at(-1))).toBe(200);
});

test("past the total size, the oldest uploads are dropped until the newest fit", async () => {
  const size = Simulator.MAX_UPLOAD_BYTES - 1024;
  const fitting = Math.floor(DEFAULT_CONTENT_BUDGET.maxBytes / size);
  const big = new Uint8Array(size).fill(7);
  const ids: Array<string | undefined> = [];
  for (let i = 0; i <= fitting; i++) {
    const { status, id } = await upload(big);
    expect(status).toBe(200);
    ids.push(id);
  }
  // One more than fits: the first is gone, the rest are all there, whole.
  expect((await atLine(ids[0])).status).toBe(404);
  expect(await shown(ids[0])).toBe(404);
  for (const id of ids.slice(1)) expect(await atLine(id)).toEqual({ status: 200, size });
  expect((await fetch(`${local.hotline.url}/healthz`)).status).toBe(200);
}, 60_000); // some 140 MiB through HTTP: generous for a loaded machine, not a speed check
