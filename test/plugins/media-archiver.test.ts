import { afterEach, describe, expect, test } from "bun:test";
import { createHash, randomUUID } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { eq } from "hotline/db";
import { event, group, room, startTestBot, type TestBot, user } from "hotline/testing";
import { type ArchivedMedia, archivedMedia } from "../../plugins/media-archiver.ts";
import { freshSchemaUrl } from "../../src/dev/testing/postgres-schema.ts";
import { platform } from "../../src/platform/mod.ts";

const PLUGIN = "plugins/media-archiver.ts";
/** The test process runs every bot on PostgreSQL (see the test kit): files live in the store. */
const ON_POSTGRES = /^postgres(ql)?:/.test(process.env.DATABASE_URL ?? "");
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ALICE = user(`U${"a".repeat(32)}`);
const BOB = user(`U${"b".repeat(32)}`);
const CAROL = user(`U${"c".repeat(32)}`);

let bot: TestBot | undefined;
afterEach(async () => {
  await bot?.stop();
  bot = undefined;
});

async function start(settings: Record<string, unknown> = {}): Promise<TestBot> {
  bot = await startTestBot({ plugins: [PLUGIN], settings: { "media-archiver": settings } });
  return bot;
}

function rows(b: TestBot): Promise<ArchivedMedia[]> {
  return b.pluginDb.select().from(archivedMedia).orderBy(archivedMedia.recordedAt);
}

async function row(b: TestBot, messageId: string): Promise<ArchivedMedia | undefined> {
  const [found] = await b.pluginDb
    .select()
    .from(archivedMedia)
    .where(eq(archivedMedia.messageId, messageId));
  return found;
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** Distinct, recognisable content: `size` bytes derived from `seed`. */
function bytes(seed: number, size = 1000): Uint8Array {
  return Uint8Array.from({ length: size }, (_, i) => (seed * 31 + i) & 0xff);
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? listFiles(path) : [path];
  });
}

/** The digests of the content the plugin keeps, sorted: on disk (SQLite) or in the store. */
function storedFiles(b: TestBot): Promise<string[]> {
  return b.files("media-archiver").list();
}

/** How many put()s are in progress, or were left behind by a crash. */
function unfinishedPuts(b: TestBot): Promise<number> {
  return b.files("media-archiver").uploads();
}

/** Delivers the events and checks every delivery succeeded, showing the plugin's error if not. */
async function deliverOk(b: TestBot, ...events: object[]): Promise<void> {
  await b.deliver(...events);
  const unfinished = (await b.deliveries()).filter((d) => d.status !== "done");
  expect(unfinished.map((d) => `${d.status}: ${d.lastError}`)).toEqual([]);
}

/** Requests that reached LINE's content endpoints (content, transcoding, preview) for a message. */
function contentRequests(b: TestBot, messageId: string) {
  const prefix = `/v2/bot/message/${encodeURIComponent(messageId)}/content`;
  return b.line.requests.filter((r) => r.path.startsWith(prefix));
}

describe("media-archiver", () => {
  test("archives each media type with its metadata, bytes on disk named by their hash", async () => {
    const b = await start();
    const chat = group(undefined, "Uaaaabbbbccccddddeeeeffff00001111");
    const image = event.image({ chat });
    const video = event.video({ chat, duration: 12_345 });
    const audio = event.audio({ chat, duration: 6_789 });
    const file = event.file("report.pdf", 1500, { chat });
    const content = {
      [image.message.id]: { bytes: bytes(1), contentType: "image/jpeg" },
      [video.message.id]: { bytes: bytes(2, 3000), contentType: "video/mp4" },
      [audio.message.id]: { bytes: bytes(3, 2000), contentType: "audio/m4a" },
      [file.message.id]: { bytes: bytes(4, 1500), contentType: "application/pdf" },
    };
    for (const [id, spec] of Object.entries(content)) b.line.addContent(id, spec);

    await deliverOk(b, image, video, audio, file);

    const common = {
      status: "archived",
      chatType: "group",
      chatId: chat.groupId,
      userId: chat.userId,
    };
    expect(await row(b, image.message.id)).toMatchObject({
      ...common,
      type: "image",
      sentAt: image.timestamp,
      fileName: null,
      durationMs: null,
      imageSetId: null,
    });
    expect(await row(b, video.message.id)).toMatchObject({
      ...common,
      type: "video",
      durationMs: 12_345,
    });
    expect(await row(b, audio.message.id)).toMatchObject({
      ...common,
      type: "audio",
      durationMs: 6_789,
    });
    expect(await row(b, file.message.id)).toMatchObject({
      ...common,
      type: "file",
      fileName: "report.pdf",
    });

    // The plugin's clock is the host's, plus the real time since the worker last synced it.
    for (const r of await rows(b)) {
      expect(r.recordedAt).toBeGreaterThanOrEqual(b.clock.now());
      expect(r.recordedAt).toBeLessThan(b.clock.now() + 10_000);
    }

    const files = b.files("media-archiver");
    for (const [id, spec] of Object.entries(content)) {
      const archived = await row(b, id);
      expect(archived).toMatchObject({
        sha256: sha256(spec.bytes),
        size: spec.bytes.byteLength,
        contentType: spec.contentType,
      });
      expect(await files.read(archived?.sha256 as string)).toEqual(spec.bytes);
    }
    // Video and audio were checked for transcoding; images and files must not be (LINE: 400).
    const transcodingChecks = b.line.requests
      .filter((r) => r.path.endsWith("/content/transcoding"))
      .map((r) => r.status);
    expect(transcodingChecks).toEqual([200, 200]);
    await b.expectNoReply(image);
  });

  test("records an image set's id, index and total", async () => {
    const b = await start();
    const first = event.image({ imageSet: { id: "set-1", index: 1, total: 2 } });
    const second = event.image({ imageSet: { id: "set-1", index: 2, total: 2 } });
    b.line.addContent(first.message.id, { bytes: bytes(1), contentType: "image/jpeg" });
    b.line.addContent(second.message.id, { bytes: bytes(2), contentType: "image/png" });

    await deliverOk(b, first, second);

    expect(await row(b, first.message.id)).toMatchObject({
      status: "archived",
      imageSetId: "set-1",
      imageSetIndex: 1,
      imageSetTotal: 2,
    });
    expect(await row(b, second.message.id)).toMatchObject({
      status: "archived",
      imageSetId: "set-1",
      imageSetIndex: 2,
      imageSetTotal: 2,
      contentType: "image/png",
    });
  });

  test("identical bytes in two messages are stored once, with a row for each", async () => {
    const b = await start();
    const same = bytes(7, 4096);
    const inUserChat = event.image();
    const inRoom = event.image({ chat: room() });
    b.line.addContent(inUserChat.message.id, { bytes: same, contentType: "image/jpeg" });
    b.line.addContent(inRoom.message.id, { bytes: same, contentType: "image/jpeg" });

    await deliverOk(b, inUserChat, inRoom);

    expect((await rows(b)).map((r) => r.sha256)).toEqual([sha256(same), sha256(same)]);
    expect(await storedFiles(b)).toEqual([sha256(same)]);
  });

  test("a repeated event for an archived message archives nothing again", async () => {
    const b = await start();
    const image = event.image();
    b.line.addContent(image.message.id, { bytes: bytes(1), contentType: "image/jpeg" });
    await deliverOk(b, image);
    const first = await row(b, image.message.id);

    await b.advance(HOUR);
    // LINE's redelivery of the same message (the host dedups identical webhookEventIds itself).
    await deliverOk(
      b,
      event.image({
        messageId: image.message.id,
        deliveryContext: { isRedelivery: true },
      }),
    );

    expect(await rows(b)).toEqual([first as ArchivedMedia]);
    expect(contentRequests(b, image.message.id)).toHaveLength(1);
  });

  test("a video LINE is still preparing is retried with backoff, then archived", async () => {
    const b = await start();
    const video = event.video();
    const content = bytes(5, 2048);
    b.line.addContent(video.message.id, {
      bytes: content,
      contentType: "video/mp4",
      transcoding: "processing",
    });

    await b.deliver(video);

    expect(await row(b, video.message.id)).toBeUndefined();
    const [waiting] = await b.deliveries(video.webhookEventId);
    expect(waiting).toMatchObject({ status: "retry", attempts: 1 });
    expect(waiting?.lastError).toContain("still preparing");
    // Asked, not downloaded.
    expect(contentRequests(b, video.message.id).map((r) => r.path)).toEqual([
      `/v2/bot/message/${video.message.id}/content/transcoding`,
    ]);

    b.line.setTranscoding(video.message.id, "succeeded");
    await b.advance(60_000);

    expect(await row(b, video.message.id)).toMatchObject({
      status: "archived",
      sha256: sha256(content),
    });
    expect((await b.deliveries(video.webhookEventId))[0]).toMatchObject({
      status: "done",
      attempts: 2,
    });
  });

  test("content still not ready after MAX_ATTEMPTS is dead-lettered, not retried forever", async () => {
    bot = await startTestBot({ plugins: [PLUGIN], env: { MAX_ATTEMPTS: "3" } });
    const b = bot;
    const audio = event.audio();
    b.line.addContent(audio.message.id, {
      bytes: bytes(1),
      contentType: "audio/m4a",
      transcoding: "processing",
    });

    await b.deliver(audio);
    for (let i = 0; i < 5; i++) await b.advance(60_000);

    expect((await b.deliveries(audio.webhookEventId))[0]).toMatchObject({
      status: "dead",
      attempts: 3,
    });
    expect(contentRequests(b, audio.message.id)).toHaveLength(3);
    expect(await row(b, audio.message.id)).toBeUndefined();
  });

  test("a 202 from the content endpoint (not ready) is retried the same way", async () => {
    const b = await start();
    const audio = event.audio();
    const content = bytes(6);
    b.line.addContent(audio.message.id, { bytes: content, contentType: "audio/m4a" });
    // Transcoding says ready, the download still answers 202: LINE's "still preparing".
    b.line.fault({ path: `/v2/bot/message/${audio.message.id}/content`, status: 202 });

    await b.deliver(audio);
    expect(await row(b, audio.message.id)).toBeUndefined();
    const [waiting] = await b.deliveries(audio.webhookEventId);
    expect(waiting).toMatchObject({ status: "retry", attempts: 1 });
    expect(waiting?.lastError).toContain("still preparing");

    await b.advance(60_000);
    expect(await row(b, audio.message.id)).toMatchObject({
      status: "archived",
      sha256: sha256(content),
    });
  });

  test("failed transcoding is recorded as failed and not retried", async () => {
    const b = await start();
    const video = event.video();
    b.line.addContent(video.message.id, {
      bytes: bytes(1),
      contentType: "video/mp4",
      transcoding: "failed",
    });

    await deliverOk(b, video);
    await b.advance(10 * 60_000);

    expect(await row(b, video.message.id)).toMatchObject({
      status: "failed",
      sha256: null,
      size: null,
    });
    expect((await b.deliveries(video.webhookEventId))[0]).toMatchObject({
      status: "done",
      attempts: 1,
    });
    expect(contentRequests(b, video.message.id)).toHaveLength(1); // the transcoding check only
    expect(await storedFiles(b)).toHaveLength(0);
  });

  test("content LINE no longer has (404, 410) is recorded as gone after one attempt", async () => {
    const b = await start();
    const expired = event.image();
    const unsent = event.video();
    b.line.setContentGone(expired.message.id, 404);
    b.line.addContent(unsent.message.id, { bytes: bytes(1), contentType: "video/mp4" });
    b.line.setContentGone(unsent.message.id, 410);

    await deliverOk(b, expired, unsent);
    await b.advance(10 * 60_000);

    expect(await row(b, expired.message.id)).toMatchObject({ status: "gone", type: "image" });
    expect(await row(b, unsent.message.id)).toMatchObject({ status: "gone", type: "video" });
    for (const e of [expired, unsent]) {
      expect((await b.deliveries(e.webhookEventId))[0]).toMatchObject({
        status: "done",
        attempts: 1,
      });
      expect(contentRequests(b, e.message.id)).toHaveLength(1);
    }
  });

  test("external content: its URLs are recorded and never fetched", async () => {
    let hits = 0;
    const elsewhere = platform.serve({
      hostname: "127.0.0.1",
      port: 0,
      maxRequestBodySize: 1 << 20,
      fetch: () => {
        hits++;
        return new Response("secret");
      },
    });
    try {
      const b = await start();
      const provider = {
        type: "external",
        originalContentUrl: `${elsewhere.url}/original.mp4`,
        previewImageUrl: `${elsewhere.url}/preview.jpg`,
      };
      const image = event.image({ contentProvider: provider });
      const video = event.video({ contentProvider: provider });

      await deliverOk(b, image, video);

      for (const e of [image, video]) {
        expect(await row(b, e.message.id)).toMatchObject({
          status: "external",
          originalContentUrl: provider.originalContentUrl,
          previewImageUrl: provider.previewImageUrl,
          sha256: null,
        });
        expect(contentRequests(b, e.message.id)).toEqual([]);
      }
      expect(hits).toBe(0);
    } finally {
      await elsewhere.stop();
    }
  });

  test("unsend deletes the archived file and its row", async () => {
    const b = await start();
    const image = event.image();
    const content = bytes(1);
    b.line.addContent(image.message.id, { bytes: content, contentType: "image/jpeg" });
    await deliverOk(b, image);
    expect(await storedFiles(b)).toContain(sha256(content));

    await deliverOk(b, event.unsend(image.message.id));

    expect(await rows(b)).toEqual([]);
    expect(await storedFiles(b)).toHaveLength(0);
  });

  test("unsend keeps bytes another message still references", async () => {
    const b = await start();
    const same = bytes(3, 5000);
    const first = event.image();
    const second = event.file("copy.bin", same.byteLength);
    b.line.addContent(first.message.id, { bytes: same, contentType: "image/jpeg" });
    b.line.addContent(second.message.id, { bytes: same, contentType: "application/octet-stream" });
    await deliverOk(b, first, second);

    await deliverOk(b, event.unsend(first.message.id));
    expect((await rows(b)).map((r) => r.messageId)).toEqual([second.message.id]);
    expect(await storedFiles(b)).toContain(sha256(same));

    await deliverOk(b, event.unsend(second.message.id));
    expect(await rows(b)).toEqual([]);
    expect(await storedFiles(b)).toHaveLength(0);
  });

  test("content over the size cap is recorded as too large and nothing is kept", async () => {
    const b = await start({ maxBytes: 1024 });
    const withLength = event.image();
    const chunked = event.image();
    const bigFile = event.file("big.zip", 4096);
    const small = event.image();
    b.line.addContent(withLength.message.id, { bytes: bytes(1, 2048), contentType: "image/jpeg" });
    b.line.addContent(chunked.message.id, {
      bytes: bytes(2, 64 * 1024),
      contentType: "image/jpeg",
      chunked: true,
    });
    b.line.addContent(bigFile.message.id, {
      bytes: bytes(3, 4096),
      contentType: "application/zip",
    });
    b.line.addContent(small.message.id, { bytes: bytes(4, 1024), contentType: "image/jpeg" });

    await deliverOk(b, withLength, chunked, bigFile, small);

    expect(await row(b, withLength.message.id)).toMatchObject({
      status: "too_large",
      size: 2048,
      sha256: null,
    });
    // No length announced: the download is cut at the cap.
    expect(await row(b, chunked.message.id)).toMatchObject({ status: "too_large", sha256: null });
    // A file's size is in the event: not even downloaded.
    expect(await row(b, bigFile.message.id)).toMatchObject({ status: "too_large", size: 4096 });
    expect(contentRequests(b, bigFile.message.id)).toEqual([]);
    // Exactly at the cap is fine.
    expect(await row(b, small.message.id)).toMatchObject({ status: "archived", size: 1024 });
    expect(await storedFiles(b)).toEqual([sha256(bytes(4, 1024))]);
  });

  test("retention cleanup deletes expired rows and their files, keeps the rest", async () => {
    const b = await start({ retentionDays: 1 });
    const shared = bytes(1);
    const own = bytes(2);
    const old = event.image();
    const oldOwn = event.image();
    const recent = event.image();
    b.line.addContent(old.message.id, { bytes: shared, contentType: "image/jpeg" });
    b.line.addContent(oldOwn.message.id, { bytes: own, contentType: "image/jpeg" });
    b.line.addContent(recent.message.id, { bytes: shared, contentType: "image/jpeg" });
    await deliverOk(b, old, oldOwn);
    await b.advance(12 * HOUR);
    await deliverOk(b, recent);

    await b.advance(11 * HOUR);
    await b.runJob("media-archiver", "cleanup");
    expect(await rows(b)).toHaveLength(3); // nothing is a day old yet

    await b.advance(2 * HOUR);
    await b.runJob("media-archiver", "cleanup");

    expect((await rows(b)).map((r) => r.messageId)).toEqual([recent.message.id]);
    expect(await storedFiles(b)).toEqual([sha256(shared)]);
  });

  test("retentionDays 0 keeps everything forever", async () => {
    const b = await start({ retentionDays: 0 });
    const image = event.image();
    b.line.addContent(image.message.id, { bytes: bytes(1), contentType: "image/jpeg" });
    await deliverOk(b, image);

    await b.advance(10 * 365 * DAY);
    await b.runJob("media-archiver", "cleanup");

    expect(await rows(b)).toHaveLength(1);
    expect(await storedFiles(b)).toHaveLength(1);
  });

  test("only the configured types are archived", async () => {
    const b = await start({ types: ["image"] });
    const image = event.image();
    const video = event.video();
    const file = event.file();
    for (const e of [image, video, file]) {
      b.line.addContent(e.message.id, { bytes: bytes(1), contentType: "video/mp4" });
    }

    await deliverOk(b, image, video, file);

    expect((await rows(b)).map((r) => r.messageId)).toEqual([image.message.id]);
    expect(contentRequests(b, video.message.id)).toEqual([]);
    expect(contentRequests(b, file.message.id)).toEqual([]);
  });

  test("invalid or misspelt settings keep the plugin from loading, naming the setting", async () => {
    const b = await start({
      types: ["image", "sticker"],
      maxBytes: 0,
      retentionDay: 7,
      quotaBytes: "1GiB",
      userQuotaBytes: 0,
    });
    const [status] = b.hotline.plugins.statuses();
    expect(status?.state).toBe("failed");
    for (const setting of ["types.1", "maxBytes", "retentionDay", "quotaBytes", "userQuotaBytes"]) {
      expect(status?.error).toContain(setting);
    }
  });

  test("message ids and file names cannot make it write outside the data directory", async () => {
    const b = await start();
    const hostile = "../../../../../../tmp/media-archiver-escape";
    const file = event.file(`${hostile}.txt`, 10, { chat: user(), messageId: `${hostile}-id` });
    const content = new TextEncoder().encode("not a path");
    b.line.addContent(file.message.id, { bytes: content, contentType: "text/plain" });

    await deliverOk(b, file);

    expect(await row(b, file.message.id)).toMatchObject({
      status: "archived",
      messageId: `${hostile}-id`,
      fileName: `${hostile}.txt`,
      sha256: sha256(content),
    });
    expect(await storedFiles(b)).toEqual([sha256(content)]);
    // On PostgreSQL nothing is written to disk at all; on SQLite only under hex names.
    const pluginDir = join(b.dataDir, "files", "media-archiver");
    for (const name of [file.message.id, file.message.fileName]) {
      expect(existsSync(resolve(pluginDir, name))).toBe(false);
      expect(existsSync(resolve(b.dataDir, name))).toBe(false);
    }
    for (const path of listFiles(pluginDir)) {
      expect(resolve(path).startsWith(`${resolve(pluginDir)}/`)).toBe(true);
      expect(basename(path)).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  test("beyond a sender's quota nothing is downloaded or kept, a row says why, no one is told", async () => {
    const b = await start({ userQuotaBytes: 3000 });
    const first = event.image({ chat: ALICE });
    const tooMuch = event.image({ chat: ALICE });
    const fitsExactly = event.file("notes.txt", 1000, { chat: ALICE });
    const nothingLeft = event.image({ chat: ALICE });
    const bobs = event.image({ chat: BOB });
    const contents = [first, tooMuch, fitsExactly, nothingLeft, bobs].map((e, i) => {
      const content = bytes(i, e === fitsExactly ? 1000 : 2000);
      b.line.addContent(e.message.id, { bytes: content, contentType: "image/jpeg" });
      return content;
    });
    for (const e of [first, tooMuch, fitsExactly, nothingLeft, bobs]) await deliverOk(b, e);

    expect(await row(b, first.message.id)).toMatchObject({ status: "archived", size: 2000 });
    // Refused by its Content-Length: nothing stored.
    expect(await row(b, tooMuch.message.id)).toMatchObject({
      status: "over_user_quota",
      userId: ALICE.userId,
      size: 2000,
      sha256: null,
    });
    expect(await row(b, fitsExactly.message.id)).toMatchObject({ status: "archived", size: 1000 });
    // The quota is used up: LINE is not even asked.
    expect(await row(b, nothingLeft.message.id)).toMatchObject({
      status: "over_user_quota",
      size: null,
    });
    expect(contentRequests(b, nothingLeft.message.id)).toEqual([]);
    // Other senders are not held back by Alice.
    expect(await row(b, bobs.message.id)).toMatchObject({ status: "archived", userId: BOB.userId });

    const kept = [contents[0], contents[2], contents[4]].map((c) => sha256(c as Uint8Array));
    expect(await storedFiles(b)).toEqual(kept.sort());
    expect(await unfinishedPuts(b)).toBe(0);
    for (const e of [tooMuch, nothingLeft]) await b.expectNoReply(e);
  });

  test("the archive's quota counts stored bytes once, binds every sender, frees up with retention", async () => {
    const b = await start({ quotaBytes: 5500, retentionDays: 1 });
    const shared = bytes(1, 2000);
    const alices = event.image({ chat: ALICE });
    const sameBytes = event.image({ chat: BOB });
    const carols = event.video({ chat: CAROL });
    b.line.addContent(alices.message.id, { bytes: shared, contentType: "image/jpeg" });
    b.line.addContent(sameBytes.message.id, { bytes: shared, contentType: "image/jpeg" });
    b.line.addContent(carols.message.id, { bytes: bytes(2, 3000), contentType: "video/mp4" });
    // One after the other: each message needs room for its whole size, duplicate or not.
    for (const e of [alices, sameBytes, carols]) await deliverOk(b, e);
    // 2000 (stored once for two messages) + 3000: 500 bytes left.
    for (const e of [alices, sameBytes, carols]) {
      expect((await row(b, e.message.id))?.status).toBe("archived");
    }

    const unannounced = event.image({ chat: BOB });
    b.line.addContent(unannounced.message.id, {
      bytes: bytes(3, 1000),
      contentType: "image/jpeg",
      chunked: true,
    });
    const bigFile = event.file("big.zip", 4000, { chat: CAROL });
    b.line.addContent(bigFile.message.id, {
      bytes: bytes(4, 4000),
      contentType: "application/zip",
    });
    await deliverOk(b, unannounced, bigFile);

    // No length announced: cut off at the 500 bytes left, nothing kept.
    expect(await row(b, unannounced.message.id)).toMatchObject({
      status: "over_quota",
      sha256: null,
    });
    expect(await row(b, bigFile.message.id)).toMatchObject({ status: "over_quota", size: 4000 });
    expect(contentRequests(b, bigFile.message.id)).toEqual([]);
    expect(await storedFiles(b)).toHaveLength(2);
    expect(await unfinishedPuts(b)).toBe(0);
    await b.expectNoReply(unannounced);

    // A day on, retention has freed the room.
    await b.advance(DAY + HOUR);
    await b.runJob("media-archiver", "cleanup");
    const later = event.image({ chat: BOB });
    b.line.addContent(later.message.id, { bytes: bytes(5, 5000), contentType: "image/jpeg" });
    await deliverOk(b, later);
    expect(await row(b, later.message.id)).toMatchObject({ status: "archived", size: 5000 });
  });

  test("downloads running side by side cannot together pass the quota", async () => {
    const b = await start({ quotaBytes: 3000 });
    const alices = event.image({ chat: ALICE });
    const bobs = event.image({ chat: BOB });
    for (const [i, e] of [alices, bobs].entries()) {
      b.line.addContent(e.message.id, {
        bytes: bytes(i, 2000),
        contentType: "image/jpeg",
        chunked: true,
      });
    }
    // Both downloads are under way before either is recorded: each saw 3000 bytes left.
    b.line.fault({ path: /\/content$/, delayMs: 500, times: 2 });

    await deliverOk(b, alices, bobs);

    const outcomes = await Promise.all([alices, bobs].map((e) => row(b, e.message.id)));
    expect(outcomes.map((r) => r?.status).sort()).toEqual(["archived", "over_quota"]);
    expect(outcomes.find((r) => r?.status === "over_quota")).toMatchObject({
      size: 2000,
      sha256: null,
    });
    const archived = outcomes.find((r) => r?.status === "archived");
    expect(await storedFiles(b)).toEqual([archived?.sha256 as string]);
    expect(await unfinishedPuts(b)).toBe(0);
  });

  test.skipIf(ON_POSTGRES)(
    "temp files a crash left are deleted when the plugin loads; the bot archives on",
    async () => {
      const dataDir = mkdtempSync(join(tmpdir(), "hotline-test-"));
      try {
        const tmp = join(dataDir, "files", "media-archiver", "tmp");
        mkdirSync(tmp, { recursive: true });
        const abandoned = join(tmp, randomUUID());
        const recent = join(tmp, randomUUID());
        writeFileSync(abandoned, bytes(1, 4096));
        writeFileSync(recent, bytes(2, 4096));
        // File times are the wall clock's, not the bot's.
        const twoHoursAgo = new Date(Date.now() - 2 * HOUR);
        utimesSync(abandoned, twoHoursAgo, twoHoursAgo);

        bot = await startTestBot({ plugins: [PLUGIN], dataDir });
        expect(existsSync(abandoned)).toBe(false);
        // Written within the hour: maybe a put() of a version being drained, so left alone.
        expect(existsSync(recent)).toBe(true);

        const image = event.image();
        bot.line.addContent(image.message.id, { bytes: bytes(3), contentType: "image/jpeg" });
        await deliverOk(bot, image);
        expect((await row(bot, image.message.id))?.status).toBe("archived");
      } finally {
        await bot?.stop();
        bot = undefined;
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  );

  test.skipIf(!ON_POSTGRES)(
    "uploads a crashed instance left in the store are dropped by the next to start; the bot archives on",
    async () => {
      const schema = freshSchemaUrl(process.env.DATABASE_URL as string);
      const env = { DATABASE_URL: schema.url };
      try {
        // Another instance died in the middle of two put()s: one two hours ago, one just now.
        const crashed = await startTestBot({ plugins: [PLUGIN], env });
        const files = crashed.hotline.pluginState.files;
        if (!files) throw new Error("a bot on PostgreSQL keeps plugin files in the store");
        const now = crashed.clock.now();
        for (const at of [now - 2 * HOUR, now]) {
          const upload = await files.begin("media-archiver", at);
          await files.write(upload, 0, bytes(1, 4096), at);
        }
        await crashed.stop();

        bot = await startTestBot({ plugins: [PLUGIN], env });
        // Touched within the hour: maybe a put() still running on a live instance, so left alone.
        expect(await unfinishedPuts(bot)).toBe(1);
        expect(await storedFiles(bot)).toEqual([]);

        const image = event.image();
        bot.line.addContent(image.message.id, { bytes: bytes(3), contentType: "image/jpeg" });
        await deliverOk(bot, image);
        expect((await row(bot, image.message.id))?.status).toBe("archived");
        expect(await storedFiles(bot)).toEqual([sha256(bytes(3))]);
      } finally {
        await bot?.stop();
        bot = undefined;
        await schema.drop();
      }
    },
  );
});
