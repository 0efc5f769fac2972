/**
 * The host's tables on PostgreSQL, for every instance sharing the database. Times are epoch
 * milliseconds (bigint), like on SQLite, so both drivers speak the same numbers. Every event,
 * lane, session and schedule carries its channel (several LINE channels in one runtime).
 */
import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
} from "drizzle-orm/pg-core";

const ms = (name: string) => bigint(name, { mode: "number" });

/** Every webhook event acked, until pruned; `id` is LINE's webhookEventId (dedup). */
export const inboxEvents = pgTable(
  "inbox_events",
  {
    seq: bigserial("seq", { mode: "number" }).primaryKey(),
    id: text("id").notNull().unique(),
    channel: text("channel").notNull().default("default"),
    chatKey: text("chat_key").notNull(),
    type: text("type").notNull(),
    timestamp: ms("timestamp").notNull(),
    receivedAt: ms("received_at").notNull(),
    destination: text("destination"),
    /** The event as received, re-serialised: text, so nothing of it is normalised away. */
    body: text("body").notNull(),
    /** pending: not yet routed · active: deliveries open · done: all settled */
    status: text("status").notNull().default("pending"),
    /** Set once, by the one instance that uses the reply token, just before the call. */
    replyAttemptedAt: ms("reply_attempted_at"),
    doneAt: ms("done_at"),
  },
  (table) => [
    index("inbox_events_open").on(table.status).where(sql`${table.status} <> 'done'`),
    index("inbox_events_done").on(table.doneAt),
  ],
);

/**
 * One row per (event, plugin). The lane (channel, chat, plugin) and its order (timestamp, seq)
 * are copied from the event, so a claim finds lane heads from this table alone.
 */
export const deliveries = pgTable(
  "deliveries",
  {
    eventId: text("event_id")
      .notNull()
      .references(() => inboxEvents.id, { onDelete: "cascade" }),
    plugin: text("plugin").notNull(),
    channel: text("channel").notNull().default("default"),
    chatKey: text("chat_key").notNull(),
    timestamp: ms("timestamp").notNull(),
    seq: ms("seq").notNull(),
    /** pending · running (claimed by `owner`) · retry · done · dead · dropped */
    status: text("status").notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: ms("next_attempt_at").notNull().default(0),
    /** Not run because its plugin could not take it (paused): due again when the plugin is back. */
    deferred: boolean("deferred").notNull().default(false),
    owner: text("owner"),
    leaseUntil: ms("lease_until"),
    lastError: text("last_error"),
    replyAttempted: boolean("reply_attempted").notNull().default(false),
    /** What this delivery sent (replies as merged, pushes), for the record and replays. */
    sent: jsonb("sent"),
    updatedAt: ms("updated_at").notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.eventId, table.plugin] }),
    index("deliveries_lanes")
      .on(table.channel, table.chatKey, table.plugin, table.timestamp, table.seq)
      .where(sql`${table.status} in ('pending', 'retry', 'running')`),
    /** At most one running delivery per lane, whichever instance runs it. */
    uniqueIndex("deliveries_one_running_per_lane")
      .on(table.channel, table.chatKey, table.plugin)
      .where(sql`${table.status} = 'running'`),
    index("deliveries_status").on(table.status),
    index("deliveries_owner").on(table.owner).where(sql`${table.status} = 'running'`),
  ],
);

/** The instances sharing the database: each holds a session advisory lock while it lives. */
export const instances = pgTable("instances", {
  id: text("id").primaryKey(),
  lockKey: ms("lock_key").notNull(),
  startedAt: ms("started_at").notNull(),
  seenAt: ms("seen_at").notNull(),
  /** The plugins it has loaded: a plugin removed here still has its deliveries elsewhere. */
  plugins: jsonb("plugins").$type<string[]>().notNull().default([]),
});

/** Users the bot has seen, per channel (a user id is per provider). */
export const users = pgTable(
  "users",
  {
    channel: text("channel").notNull().default("default"),
    userId: text("user_id").notNull(),
    displayName: text("display_name"),
    pictureUrl: text("picture_url"),
    statusMessage: text("status_message"),
    language: text("language"),
    following: boolean("following"),
    followedAt: ms("followed_at"),
    unfollowedAt: ms("unfollowed_at"),
    profileFetchedAt: ms("profile_fetched_at"),
    updatedAt: ms("updated_at").notNull(),
  },
  (table) => [primaryKey({ columns: [table.channel, table.userId] })],
);

/** Groups and rooms the bot is or was in, per channel. */
export const chats = pgTable(
  "chats",
  {
    channel: text("channel").notNull().default("default"),
    chatKey: text("chat_key").notNull(),
    type: text("type").notNull(),
    chatId: text("chat_id").notNull(),
    member: boolean("member").notNull(),
    joinedAt: ms("joined_at"),
    leftAt: ms("left_at"),
    updatedAt: ms("updated_at").notNull(),
  },
  (table) => [primaryKey({ columns: [table.channel, table.chatKey] })],
);

/** Per-chat and per-user state of a plugin, saved with the settlement of the delivery that changed it. */
export const sessions = pgTable(
  "sessions",
  {
    channel: text("channel").notNull().default("default"),
    plugin: text("plugin").notNull(),
    /** "chat" or "user" */
    scope: text("scope").notNull(),
    key: text("key").notNull(),
    value: jsonb("value").notNull(),
    version: integer("version").notNull().default(0),
    expiresAt: ms("expires_at"),
    updatedAt: ms("updated_at").notNull(),
  },
  (table) => [primaryKey({ columns: [table.channel, table.plugin, table.scope, table.key] })],
);

/** Jobs plugins scheduled: one-shot or recurring, each run exactly once. */
export const schedules = pgTable(
  "schedules",
  {
    id: text("id").primaryKey(),
    channel: text("channel").notNull().default("default"),
    plugin: text("plugin").notNull(),
    name: text("name").notNull(),
    /** A cron expression for recurring jobs; null for one-shot jobs. */
    cron: text("cron"),
    timeZone: text("time_zone"),
    /** The interval of a job declared with `every`; null otherwise. */
    everyMs: ms("every_ms"),
    payload: jsonb("payload"),
    /** When the current run is attempted next (its scheduled time, or a retry's). */
    nextRunAt: ms("next_run_at").notNull(),
    /** The current run's scheduled time: with `revision`, what its pushes' retry keys derive from. */
    runAt: ms("run_at").notNull().default(0),
    /** Bumped whenever the schedule is replaced or cancelled: fences a run of the old one. */
    revision: integer("revision").notNull().default(0),
    /** Made from the plugin's declaration (`jobs: { x: { cron } }`), not by `ctx.schedule`. */
    declared: boolean("declared").notNull().default(false),
    /** Not run because its plugin could not take it (paused): due again when the plugin is back. */
    deferred: boolean("deferred").notNull().default(false),
    /** scheduled · running · done · dead · cancelled */
    status: text("status").notNull().default("scheduled"),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    owner: text("owner"),
    leaseUntil: ms("lease_until"),
    createdAt: ms("created_at").notNull(),
    updatedAt: ms("updated_at").notNull(),
  },
  (table) => [
    index("schedules_due").on(table.nextRunAt).where(sql`${table.status} = 'scheduled'`),
    index("schedules_plugin").on(table.plugin, table.name),
    index("schedules_owner").on(table.owner).where(sql`${table.status} = 'running'`),
  ],
);

/** Rich menus the host created at LINE for plugins' declarations (see storage/rich-menus.ts). */
export const richMenus = pgTable(
  "rich_menus",
  {
    richMenuId: text("rich_menu_id").primaryKey(),
    channel: text("channel").notNull().default("default"),
    plugin: text("plugin").notNull(),
    name: text("name").notNull(),
    contentHash: text("content_hash").notNull(),
    imageUploaded: boolean("image_uploaded").notNull().default(false),
    alias: text("alias"),
    isDefault: boolean("is_default").notNull().default(false),
    createdAt: ms("created_at").notNull(),
    updatedAt: ms("updated_at").notNull(),
  },
  (table) => [index("rich_menus_plugin").on(table.channel, table.plugin)],
);

/** Users linked to a plugin's rich menu: moved to its new version when it is replaced. */
export const richMenuLinks = pgTable(
  "rich_menu_links",
  {
    channel: text("channel").notNull().default("default"),
    userId: text("user_id").notNull(),
    plugin: text("plugin").notNull(),
    name: text("name").notNull(),
    updatedAt: ms("updated_at").notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.channel, table.userId] }),
    index("rich_menu_links_menu").on(table.channel, table.plugin, table.name, table.userId),
  ],
);

/** Messages sent per channel, month ("YYYY-MM"), plugin and kind (see storage/quota.ts). */
export const sentMessages = pgTable(
  "sent_messages",
  {
    channel: text("channel").notNull(),
    month: text("month").notNull(),
    plugin: text("plugin").notNull(),
    /** "reply" or "push" */
    kind: text("kind").notNull(),
    count: bigint("count", { mode: "number" }).notNull().default(0),
    updatedAt: ms("updated_at").notNull(),
  },
  (table) => [primaryKey({ columns: [table.channel, table.month, table.plugin, table.kind] })],
);

/** A channel whose pushes stopped at LINE's monthly limit, until `until` or a resume. */
export const pushPauses = pgTable("push_pauses", {
  channel: text("channel").primaryKey(),
  reason: text("reason").notNull(),
  pausedAt: ms("paused_at").notNull(),
  until: ms("until").notNull(),
});

/** Late replies waiting for a "tap to see the answer" (see storage/held-replies.ts). */
export const heldReplies = pgTable(
  "held_replies",
  {
    eventId: text("event_id")
      .notNull()
      .references(() => inboxEvents.id, { onDelete: "cascade" }),
    plugin: text("plugin").notNull(),
    offset: integer("offset").notNull(),
    messages: jsonb("messages").notNull(),
    heldAt: ms("held_at").notNull(),
  },
  (table) => [primaryKey({ columns: [table.eventId, table.plugin, table.offset] })],
);

/** Per-plugin key-value state, per channel; keys compare as bytes, like SQLite's. */
export const pluginKv = pgTable(
  "plugin_kv",
  {
    plugin: text("plugin").notNull(),
    channel: text("channel").notNull().default("default"),
    key: text("key").notNull(),
    value: text("value").notNull(),
    expiresAt: ms("expires_at"),
    updatedAt: ms("updated_at").notNull(),
  },
  (table) => [primaryKey({ columns: [table.plugin, table.channel, table.key] })],
);

/** Which of a plugin's declared migrations have run against this database. */
export const pluginMigrations = pgTable(
  "plugin_migrations",
  {
    plugin: text("plugin").notNull(),
    id: text("id").notNull(),
    appliedAt: ms("applied_at").notNull(),
  },
  (table) => [primaryKey({ columns: [table.plugin, table.id] })],
);
