import { and, eq, sql } from "drizzle-orm";
import type { AnySQLiteColumn } from "drizzle-orm/sqlite-core";
import { DEFAULT_CHANNEL } from "../../core/channel.ts";
import type { ParsedEvent } from "../../core/parsed-event.ts";
import type { SqlDatabase } from "../../platform/mod.ts";
import type { SharedChat, SharedUser, UserProfile } from "../store.ts";
import { chats, users } from "./schema.ts";

const param = sql.placeholder;
/** A placeholder where drizzle's types want SQL (`set`). */
const bound = (name: string) => sql`${param(name)}`;
/** A change older than the last recorded one is ignored (see `SharedState`). */
const notOlder = (a: AnySQLiteColumn, b: AnySQLiteColumn) =>
  sql`coalesce(${a}, 0) <= ${param("at")} and coalesce(${b}, 0) <= ${param("at")}`;

/** Built once: routing runs these for every event, and drizzle would rebuild the SQL per call. */
function prepareStatements(db: SqlDatabase) {
  const upsertUser = (following: boolean) =>
    db
      .insert(users)
      .values({
        channel: param("channel"),
        userId: param("userId"),
        following,
        updatedAt: param("now"),
        ...(following ? { followedAt: param("at") } : { unfollowedAt: param("at") }),
      })
      .onConflictDoUpdate({
        target: [users.channel, users.userId],
        set: following
          ? { following: true, followedAt: bound("at"), updatedAt: bound("now") }
          : { following: false, unfollowedAt: bound("at"), updatedAt: bound("now") },
        setWhere: notOlder(users.followedAt, users.unfollowedAt),
      })
      .prepare();
  const upsertChat = (member: boolean) =>
    db
      .insert(chats)
      .values({
        channel: param("channel"),
        chatKey: param("chatKey"),
        type: param("type"),
        chatId: param("chatId"),
        member,
        updatedAt: param("now"),
        ...(member ? { joinedAt: param("at") } : { leftAt: param("at") }),
      })
      .onConflictDoUpdate({
        target: [chats.channel, chats.chatKey],
        set: member
          ? { member: true, joinedAt: bound("at"), updatedAt: bound("now") }
          : { member: false, leftAt: bound("at"), updatedAt: bound("now") },
        setWhere: notOlder(chats.joinedAt, chats.leftAt),
      })
      .prepare();
  return {
    follow: upsertUser(true),
    unfollow: upsertUser(false),
    seen: db
      .insert(users)
      .values({ channel: param("channel"), userId: param("userId"), updatedAt: param("now") })
      .onConflictDoNothing()
      .prepare(),
    join: upsertChat(true),
    leave: upsertChat(false),
    user: db
      .select()
      .from(users)
      .where(and(eq(users.channel, DEFAULT_CHANNEL), eq(users.userId, param("userId"))))
      .prepare(),
  };
}

/**
 * Keeps the host's shared tables current: who follows the bot and which groups it is in. `apply`
 * runs inside the transaction that routes the event, so the tables never miss or double an event.
 * `followedAt`/`unfollowedAt` and `joinedAt`/`leftAt` are event times, and an event older than the
 * last recorded change is ignored: a follow LINE redelivers after the unfollow must not undo it.
 */
export class SharedState {
  readonly #db: SqlDatabase;
  readonly #statements: ReturnType<typeof prepareStatements>;

  constructor(db: SqlDatabase) {
    this.#db = db;
    this.#statements = prepareStatements(db);
  }

  /** Call inside a transaction on the same database. */
  apply(parsed: ParsedEvent, now: number): void {
    const source = (parsed.event as { source?: { type?: unknown; userId?: unknown } }).source;
    if (!source) return;
    const at = parsed.timestamp;
    const userId = typeof source.userId === "string" ? source.userId : undefined;
    const statements = this.#statements;
    const { type, chat, channel } = parsed;
    if (source.type === "user" && userId && (type === "follow" || type === "unfollow")) {
      statements[type].run({ channel, userId, at, now });
      return;
    }
    if (userId) statements.seen.run({ channel, userId, now });
    if (type !== "join" && type !== "leave") return;
    if (!chat || chat.type === "user") return;
    statements[type].run({
      channel,
      chatKey: parsed.chatKey,
      type: chat.type,
      chatId: chat.id,
      at,
      now,
    });
  }

  readChat(chatKey: string): SharedChat | undefined {
    const row = this.#db.select().from(chats).where(eq(chats.chatKey, chatKey)).get();
    if (!row) return undefined;
    const { updatedAt: _updatedAt, ...chat } = row;
    return chat;
  }

  readUser(userId: string): SharedUser | undefined {
    const row = this.#statements.user.get({ userId });
    if (!row) return undefined;
    const { updatedAt: _updatedAt, ...user } = row;
    return user;
  }

  /** Call inside a transaction on the same database. */
  saveProfile(db: SqlDatabase, userId: string, profile: UserProfile, now: number): void {
    const fields = { ...profile, profileFetchedAt: now, updatedAt: now };
    db.insert(users)
      .values({ userId, ...fields })
      .onConflictDoUpdate({ target: [users.channel, users.userId], set: fields })
      .run();
  }
}
