import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * Every webhook event ever acked, until pruned. `id` is LINE's webhookEventId (or one derived from
 * the content for payloads without it), so a redelivery inserts nothing.
 */
export const inboxEvents = sqliteTable(
  "inbox_events",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    id: text("id").notNull().unique(),
    /** The LINE channel it came to: every event, lane, session and schedule carries it. */
    channel: text("channel").notNull().default("default"),
    /** Events of one chat are processed one at a time, in timestamp order. */
    chatKey: text("chat_key").notNull(),
    type: text("type").notNull(),
    timestamp: integer("timestamp").notNull(),
    receivedAt: integer("received_at").notNull(),
    destination: text("destination"),
    body: text("body").notNull(),
    /** pending: not yet routed · active: deliveries exist, some unsettled · done: all settled */
    status: text("status", { enum: ["pending", "active", "done"] })
      .notNull()
      .default("pending"),
    nextAttemptAt: integer("next_attempt_at").notNull().default(0),
    /** Set once, just before the reply call: a reply token must never be tried twice as new. */
    replyAttemptedAt: integer("reply_attempted_at"),
    doneAt: integer("done_at"),
  },
  (table) => [
    index("inbox_events_open").on(table.status, table.chatKey, table.timestamp),
    index("inbox_events_done").on(table.doneAt),
  ],
);

/** One row per (event, plugin): a retry reruns only the plugins that did not succeed. */
export const deliveries = sqliteTable(
  "deliveries",
  {
    eventId: text("event_id")
      .notNull()
      .references(() => inboxEvents.id, { onDelete: "cascade" }),
    plugin: text("plugin").notNull(),
    channel: text("channel").notNull().default("default"),
    status: text("status", { enum: ["pending", "done", "retry", "dead", "dropped"] })
      .notNull()
      .default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: integer("next_attempt_at").notNull().default(0),
    lastError: text("last_error"),
    /** This plugin's replies were part of a reply call that may have reached LINE. */
    replyAttempted: integer("reply_attempted", { mode: "boolean" }).notNull().default(false),
    /** What this delivery sent (replies as merged, pushes), JSON, for the record and replays. */
    sent: text("sent"),
    updatedAt: integer("updated_at").notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.eventId, table.plugin] }),
    index("deliveries_status").on(table.status),
  ],
);

/** Users the bot has seen, per channel, kept current from follow/unfollow events and profiles. */
export const users = sqliteTable(
  "users",
  {
    channel: text("channel").notNull().default("default"),
    userId: text("user_id").notNull(),
    displayName: text("display_name"),
    pictureUrl: text("picture_url"),
    statusMessage: text("status_message"),
    language: text("language"),
    following: integer("following", { mode: "boolean" }),
    followedAt: integer("followed_at"),
    unfollowedAt: integer("unfollowed_at"),
    profileFetchedAt: integer("profile_fetched_at"),
    updatedAt: integer("updated_at").notNull(),
  },
  (table) => [primaryKey({ columns: [table.channel, table.userId] })],
);

/** Groups and rooms the bot is or was in, per channel, from join/leave events. */
export const chats = sqliteTable(
  "chats",
  {
    channel: text("channel").notNull().default("default"),
    chatKey: text("chat_key").notNull(),
    type: text("type", { enum: ["group", "room"] }).notNull(),
    chatId: text("chat_id").notNull(),
    member: integer("member", { mode: "boolean" }).notNull(),
    joinedAt: integer("joined_at"),
    leftAt: integer("left_at"),
    updatedAt: integer("updated_at").notNull(),
  },
  (table) => [primaryKey({ columns: [table.channel, table.chatKey] })],
);

/** Per-chat and per-user state of a plugin, saved with the settlement that changed it. */
export const sessions = sqliteTable(
  "sessions",
  {
    channel: text("channel").notNull().default("default"),
    plugin: text("plugin").notNull(),
    /** "chat", "user" or "dialog" */
    scope: text("scope").notNull(),
    key: text("key").notNull(),
    /** JSON */
    value: text("value").notNull(),
    version: integer("version").notNull().default(0),
    expiresAt: integer("expires_at"),
    updatedAt: integer("updated_at").notNull(),
  },
  (table) => [primaryKey({ columns: [table.channel, table.plugin, table.scope, table.key] })],
);

/** Jobs plugins scheduled: one-shot or recurring, each run exactly once. */
export const schedules = sqliteTable(
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
    everyMs: integer("every_ms"),
    /** JSON */
    payload: text("payload"),
    /** When the current run is attempted next (its scheduled time, or a retry's). */
    nextRunAt: integer("next_run_at").notNull(),
    /** The current run's scheduled time: with `revision`, what its pushes' retry keys derive from. */
    runAt: integer("run_at").notNull().default(0),
    /** Bumped whenever the schedule is replaced or cancelled: fences a run of the old one. */
    revision: integer("revision").notNull().default(0),
    /** Made from the plugin's declaration (`jobs: { x: { cron } }`), not by `ctx.schedule`. */
    declared: integer("declared", { mode: "boolean" }).notNull().default(false),
    /** Not run because its plugin could not take it (paused): due again when the plugin is back. */
    deferred: integer("deferred", { mode: "boolean" }).notNull().default(false),
    /** scheduled · running · done · dead · cancelled */
    status: text("status").notNull().default("scheduled"),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    owner: text("owner"),
    leaseUntil: integer("lease_until"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (table) => [
    index("schedules_due").on(table.status, table.nextRunAt),
    index("schedules_plugin").on(table.plugin, table.name),
  ],
);

/** Rich menus the host created at LINE for plugins' declarations (see storage/rich-menus.ts). */
export const richMenus = sqliteTable(
  "rich_menus",
  {
    richMenuId: text("rich_menu_id").primaryKey(),
    channel: text("channel").notNull().default("default"),
    plugin: text("plugin").notNull(),
    name: text("name").notNull(),
    contentHash: text("content_hash").notNull(),
    imageUploaded: integer("image_uploaded", { mode: "boolean" }).notNull().default(false),
    alias: text("alias"),
    isDefault: integer("is_default", { mode: "boolean" }).notNull().default(false),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (table) => [index("rich_menus_plugin").on(table.channel, table.plugin)],
);

/** Users linked to a plugin's rich menu: moved to its new version when it is replaced. */
export const richMenuLinks = sqliteTable(
  "rich_menu_links",
  {
    channel: text("channel").notNull().default("default"),
    userId: text("user_id").notNull(),
    plugin: text("plugin").notNull(),
    name: text("name").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.channel, table.userId] }),
    index("rich_menu_links_menu").on(table.channel, table.plugin, table.name, table.userId),
  ],
);

/** Messages sent per channel, month ("YYYY-MM"), plugin and kind (see storage/quota.ts). */
export const sentMessages = sqliteTable(
  "sent_messages",
  {
    channel: text("channel").notNull(),
    month: text("month").notNull(),
    plugin: text("plugin").notNull(),
    /** "reply" or "push" */
    kind: text("kind").notNull(),
    count: integer("count").notNull().default(0),
    updatedAt: integer("updated_at").notNull(),
  },
  (table) => [primaryKey({ columns: [table.channel, table.month, table.plugin, table.kind] })],
);

/** A channel whose pushes stopped at LINE's monthly limit, until `until` or a resume. */
export const pushPauses = sqliteTable("push_pauses", {
  channel: text("channel").primaryKey(),
  reason: text("reason").notNull(),
  pausedAt: integer("paused_at").notNull(),
  until: integer("until").notNull(),
});

/** Late replies waiting for a "tap to see the answer" (see storage/held-replies.ts). */
export const heldReplies = sqliteTable(
  "held_replies",
  {
    eventId: text("event_id")
      .notNull()
      .references(() => inboxEvents.id, { onDelete: "cascade" }),
    plugin: text("plugin").notNull(),
    offset: integer("offset").notNull(),
    /** JSON */
    messages: text("messages").notNull(),
    heldAt: integer("held_at").notNull(),
  },
  (table) => [primaryKey({ columns: [table.eventId, table.plugin, table.offset] })],
);

export const coreSchema = {
  inboxEvents,
  deliveries,
  users,
  chats,
  sessions,
  schedules,
  richMenus,
  richMenuLinks,
  sentMessages,
  pushPauses,
  heldReplies,
};
