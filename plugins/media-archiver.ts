/**
 * media-archiver: keeps a copy of the images, videos, audio and files users send to the bot.
 *
 * LINE deletes message content after an unspecified time, so anything worth keeping must be
 * downloaded while it is still there. Content is streamed to the plugin's file store, named by
 * its SHA-256 (identical bytes are stored once), and described by one row per message in
 * `archivedMedia`, which other plugins may import and read. Quotas, on the whole archive and on
 * each sender, keep any friend of the bot from filling the disk the database lives on.
 */
import type { EventContext, EventFor, PluginContext, StoredFile } from "hotline";
import { definePlugin, z } from "hotline";
import { and, count, eq, index, integer, isNull, lt, sql, table, text } from "hotline/db";

const MEDIA_TYPES = ["image", "video", "audio", "file"] as const;

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const DAY_MS = 24 * 60 * 60 * 1000;
const CLEANUP_EVERY_MS = 60 * 60 * 1000;

// Strict: a misspelt key (say "retentionDay") must fail the load, not silently keep the default.
const settings = z.strictObject({
  /** Which message types to archive. */
  types: z.array(z.enum(MEDIA_TYPES)).default([...MEDIA_TYPES]),
  /** Content larger than this is recorded as `too_large` and not kept. */
  maxBytes: z
    .number()
    .int()
    .positive()
    .default(50 * MiB),
  /** Days to keep content and its metadata; 0 keeps them forever. */
  retentionDays: z.number().nonnegative().default(30),
  /** The most the archive keeps, in bytes, each stored file counted once. */
  quotaBytes: z.number().int().positive().default(GiB),
  /** The most one sender's messages keep, in bytes (for unnamed senders: their chat's). */
  userQuotaBytes: z
    .number()
    .int()
    .positive()
    .default(100 * MiB),
});
type Settings = z.output<typeof settings>;

/**
 * What became of a message:
 * - `archived`: the bytes are in the file store under `sha256`;
 * - `external`: the content lives on the sender's server; only its URLs are recorded;
 * - `too_large`: over `maxBytes`, nothing kept;
 * - `over_quota`: more than is left of `quotaBytes`, nothing kept;
 * - `over_user_quota`: more than is left of the sender's `userQuotaBytes`, nothing kept;
 * - `gone`: LINE no longer has it (expired, or unsent before we fetched it);
 * - `failed`: LINE could not prepare the video or audio.
 */
export const ARCHIVE_STATUSES = [
  "archived",
  "external",
  "too_large",
  "over_quota",
  "over_user_quota",
  "gone",
  "failed",
] as const;

/** One row per media message. Other plugins may read it; only this plugin writes it. */
export const archivedMedia = table(
  "media_archiver__media",
  {
    messageId: text("message_id").primaryKey(),
    type: text("type", { enum: MEDIA_TYPES }).notNull(),
    status: text("status", { enum: ARCHIVE_STATUSES }).notNull(),
    chatType: text("chat_type"),
    chatId: text("chat_id"),
    /** The sender; absent in groups and rooms for users who have not consented to share it. */
    userId: text("user_id"),
    /** Lower-case hex; the file's name in the store. Only for `archived`. */
    sha256: text("sha256"),
    /** Bytes stored; for `too_large` and the quotas, the size refused, when it is known. */
    size: integer("size"),
    /** The MIME type LINE served the content with. */
    contentType: text("content_type"),
    /** As the sender named it (files only): metadata, never used as a path. */
    fileName: text("file_name"),
    durationMs: integer("duration_ms"),
    /** Images sent together share an `imageSetId`; index is 1-based. */
    imageSetId: text("image_set_id"),
    imageSetIndex: integer("image_set_index"),
    imageSetTotal: integer("image_set_total"),
    /** Only for `external`: recorded, never fetched. */
    originalContentUrl: text("original_content_url"),
    previewImageUrl: text("preview_image_url"),
    /** When the user sent it (the event's timestamp, LINE's clock). */
    sentAt: integer("sent_at"),
    /** When this row was written (the host's clock); retention counts from here. */
    recordedAt: integer("recorded_at").notNull(),
  },
  (t) => [
    index("media_archiver__media_sha256").on(t.sha256),
    index("media_archiver__media_recorded_at").on(t.recordedAt),
    index("media_archiver__media_user_id").on(t.userId),
  ],
);
export type ArchivedMedia = typeof archivedMedia.$inferSelect;

type MediaEvent =
  | EventFor<"message:image">
  | EventFor<"message:video">
  | EventFor<"message:audio">
  | EventFor<"message:file">;
type Ctx = EventContext<Settings>;
type Row = typeof archivedMedia.$inferInsert;
type Condition = ReturnType<typeof eq>;

/** Thrown to have the host retry the delivery later, with exponential backoff. */
class ContentNotReady extends Error {
  override name = "ContentNotReady";
  constructor(messageId: string) {
    super(`LINE is still preparing the content of message ${messageId}; retrying later`);
  }
}

/**
 * Runs `work` alone. Deciding that no row references some bytes any more and deleting them must
 * not interleave with another delivery adding a row for the same bytes (identical content sent
 * in another chat), or that row would point at a deleted file.
 */
let queue: Promise<unknown> = Promise.resolve();
function exclusive<T>(work: () => Promise<T>): Promise<T> {
  const run = queue.then(work);
  queue = run.catch(() => undefined);
  return run;
}

type Status = (typeof ARCHIVE_STATUSES)[number];
/** Why content is not kept although LINE has it. */
type Refusal = Extract<Status, "too_large" | "over_quota" | "over_user_quota">;

/** The warning logged for a message a quota refused; other outcomes are logged as info. */
const QUOTA_USED_UP: Partial<Record<Status, string>> = {
  over_quota: "media not archived: the archive's quota (quotaBytes) is used up",
  over_user_quota: "media not archived: the sender's quota (userQuotaBytes) is used up",
};

async function record(
  ctx: Ctx,
  event: MediaEvent,
  outcome: Partial<Row> & Pick<Row, "status">,
): Promise<void> {
  const message = event.message;
  const media = message.type === "video" || message.type === "audio" ? message : undefined;
  const imageSet = message.type === "image" ? message.imageSet : undefined;
  const userId = event.source?.userId ?? null;
  await ctx.db
    .insert(archivedMedia)
    .values({
      messageId: message.id,
      type: message.type,
      chatType: ctx.chat?.type ?? null,
      chatId: ctx.chat?.id ?? null,
      userId,
      fileName: message.type === "file" ? message.fileName : null,
      durationMs: media?.duration ?? null,
      imageSetId: imageSet?.id ?? null,
      imageSetIndex: imageSet?.index ?? null,
      imageSetTotal: imageSet?.total ?? null,
      sentAt: event.timestamp ?? null,
      recordedAt: ctx.now(),
      ...outcome,
    })
    .onConflictDoNothing();
  const fields = { messageId: message.id, type: message.type, ...outcome };
  const refused = QUOTA_USED_UP[outcome.status];
  if (refused) ctx.log.warn({ ...fields, userId, chatId: ctx.chat?.id }, refused);
  else ctx.log.info(fields, "media recorded");
}

// ---------------------------------------------------------------- quotas

/**
 * The rows charged to this message's sender: theirs or, when LINE does not name the sender (a
 * group member who has not consented), the other unnamed senders' in the same chat.
 */
function sameSender(ctx: Ctx, event: MediaEvent): Condition | undefined {
  const userId = event.source?.userId;
  if (userId) return eq(archivedMedia.userId, userId);
  if (ctx.chat) return and(isNull(archivedMedia.userId), eq(archivedMedia.chatId, ctx.chat.id));
  return undefined;
}

/** Bytes stored for the archived rows matching `where`: identical content counted once. */
async function storedBytes(ctx: Ctx, where?: Condition): Promise<number> {
  const files = ctx.db
    .selectDistinct({ sha256: archivedMedia.sha256, size: archivedMedia.size })
    .from(archivedMedia)
    .where(and(eq(archivedMedia.status, "archived"), where))
    .as("files");
  // A sum of bigints is numeric on PostgreSQL, which arrives as a string.
  const [total] = await ctx.db
    .select({ bytes: sql<number>`coalesce(sum(${files.size}), 0)`.mapWith(Number) })
    .from(files);
  return total?.bytes ?? 0;
}

/** What one more message may add: at most `maxBytes`, and what is left of both quotas. */
interface Room {
  maxBytes: number;
  archive: number;
  sender: number;
}

async function roomFor(ctx: Ctx, sender: Condition | undefined): Promise<Room> {
  const { maxBytes, quotaBytes, userQuotaBytes } = ctx.settings;
  return {
    maxBytes,
    archive: quotaBytes - (await storedBytes(ctx)),
    sender: sender ? userQuotaBytes - (await storedBytes(ctx, sender)) : Number.POSITIVE_INFINITY,
  };
}

/** Why `size` bytes cannot be kept, or undefined when they fit. */
function refusal(room: Room, size: number): Refusal | undefined {
  if (size > room.maxBytes) return "too_large";
  if (size > room.archive) return "over_quota";
  if (size > room.sender) return "over_user_quota";
  return undefined;
}

const largestAllowed = (room: Room) => Math.min(room.maxBytes, room.archive, room.sender);

// ---------------------------------------------------------------- archiving

async function archive(event: MediaEvent, ctx: Ctx): Promise<void> {
  const message = event.message;
  if (!ctx.settings.types.includes(message.type)) return;
  // Idempotent on the message id: a redelivery, or the same message in a retried batch, is a no-op.
  const [known] = await ctx.db
    .select({ messageId: archivedMedia.messageId })
    .from(archivedMedia)
    .where(eq(archivedMedia.messageId, message.id));
  if (known) return;

  // Files always live at LINE. Anything else not hosted by LINE is a URL the sender chose: fetching
  // it would let any user make this server send requests (to internal hosts, too), so never do.
  if (message.type !== "file" && message.contentProvider.type !== "line") {
    return record(ctx, event, {
      status: "external",
      originalContentUrl: message.contentProvider.originalContentUrl ?? null,
      previewImageUrl: message.contentProvider.previewImageUrl ?? null,
    });
  }
  // Refused before anything is asked of LINE when it cannot fit: a file's size is in the event,
  // other content needs at least a byte.
  const sender = sameSender(ctx, event);
  const room = await roomFor(ctx, sender);
  const announced = message.type === "file" ? message.fileSize : undefined;
  const early = refusal(room, announced ?? 1);
  if (early) return record(ctx, event, { status: early, size: announced ?? null });

  // Videos and audio are usable only once LINE has prepared them; ask before downloading.
  // (LINE answers 400 for other types, so only these two are asked.)
  if (message.type === "video" || message.type === "audio") {
    // "gone": LINE answered 404/410 (expired or unsent).
    const status = await ctx.transcoding(message.id);
    if (status === "processing") throw new ContentNotReady(message.id);
    if (status === "failed" || status === "gone") return record(ctx, event, { status });
  }

  const content = await ctx.content(message.id);
  switch (content.status) {
    case "processing":
      throw new ContentNotReady(message.id);
    case "gone":
      return record(ctx, event, { status: content.status });
  }
  const refused = content.size === undefined ? undefined : refusal(room, content.size);
  if (refused) {
    await content.body.cancel();
    return record(ctx, event, { status: refused, size: content.size ?? null });
  }
  const stored = await storeWithin(ctx, content.body, room);
  if ("refused" in stored) return record(ctx, event, { status: stored.refused });
  await exclusive(async () => {
    // An unsend or cleanup may have released the last other copy of these bytes since put():
    // retry, and the download stores them again.
    if (!(await ctx.files.has(stored.sha256))) {
      throw new Error(`stored content ${stored.sha256} was deleted concurrently; retrying`);
    }
    // Checked again where no other delivery records: downloads running side by side each saw
    // the room before any of them took it.
    const overQuota = refusal(await roomFor(ctx, sender), stored.size);
    if (overQuota) {
      if (!(await isReferenced(ctx, stored.sha256))) await ctx.files.delete(stored.sha256);
      return record(ctx, event, { status: overQuota, size: stored.size });
    }
    record(ctx, event, {
      status: "archived",
      sha256: stored.sha256,
      size: stored.size,
      contentType: content.contentType,
    });
  });
}

/** Streams the content to the file store, up to the room there is; nothing is kept beyond it. */
async function storeWithin(
  ctx: Ctx,
  body: ReadableStream<Uint8Array>,
  room: Room,
): Promise<StoredFile | { refused: Refusal }> {
  // Count what passes, to tell "over the cap" from other failures of put(); the signal stops the
  // download when the handler's deadline passes or the plugin unloads.
  let received = 0;
  const counted = body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        received += chunk.byteLength;
        controller.enqueue(chunk);
      },
    }),
    { signal: ctx.signal },
  );
  const cap = largestAllowed(room);
  try {
    return await ctx.files.put(counted, { maxBytes: cap });
  } catch (error) {
    // Content sent without a length: put() stopped at the cap and kept nothing.
    if (received > cap) return { refused: refusal(room, received) ?? "too_large" };
    throw error;
  }
}

async function isReferenced(
  ctx: Pick<PluginContext<Settings>, "db">,
  sha256: string,
): Promise<boolean> {
  const [row] = await ctx.db
    .select({ n: count() })
    .from(archivedMedia)
    .where(eq(archivedMedia.sha256, sha256));
  return (row?.n ?? 0) > 0;
}

/** Deletes the matching rows, and the files no remaining row references. Returns rows deleted. */
function forget(
  ctx: Pick<PluginContext<Settings>, "db" | "files">,
  where: Condition,
): Promise<number> {
  return exclusive(async () => {
    const deleted = await ctx.db
      .delete(archivedMedia)
      .where(where)
      .returning({ sha256: archivedMedia.sha256 });
    const hashes = new Set(deleted.flatMap((row) => (row.sha256 ? [row.sha256] : [])));
    for (const sha256 of hashes) {
      if (!(await isReferenced(ctx, sha256))) await ctx.files.delete(sha256);
    }
    return deleted.length;
  });
}

export default definePlugin({
  name: "media-archiver",
  description: "Archives images, videos, audio and files users send, content-addressed",
  settings,
  // A large video over a slow link takes longer than the default 30 s deadline.
  timeoutMs: 5 * 60_000,
  tables: { archivedMedia },
  // Named media_archiver_media before plugin tables had the "__" separator.
  tableRenames: { media_archiver_media: "media_archiver__media" },
  jobs: {
    cleanup: {
      every: CLEANUP_EVERY_MS,
      async handler(_data, ctx) {
        const { retentionDays } = ctx.settings;
        if (retentionDays === 0) return;
        const cutoff = ctx.now() - retentionDays * DAY_MS;
        const removed = await forget(ctx, lt(archivedMedia.recordedAt, cutoff));
        if (removed > 0) ctx.log.info({ removed, retentionDays }, "retention cleanup");
      },
    },
  },
  on: {
    "message:image": archive,
    "message:video": archive,
    "message:audio": archive,
    "message:file": archive,
    // LINE asks that an unsent message can no longer be seen or used: delete its copy.
    unsend: async (event, ctx) => {
      const removed = await forget(ctx, eq(archivedMedia.messageId, event.unsend.messageId));
      if (removed > 0) ctx.log.info({ messageId: event.unsend.messageId }, "unsent media deleted");
    },
  },
});
