import { sql } from "drizzle-orm";
import { chatOf } from "../inbox/event-identity.ts";
import type { SqlDatabase } from "../platform/mod.ts";
import { chats, users } from "./schema.ts";

type Tx = Parameters<Parameters<SqlDatabase["transaction"]>[0]>[0];

interface EventLike {
  type: string;
  timestamp?: unknown;
  source?: { type?: unknown; userId?: unknown; groupId?: unknown; roomId?: unknown } | undefined;
}

/** When it happened at LINE: events arrive late (redeliveries), so arrival order is not the order. */
function eventTime(event: EventLike, now: number): number {
  return typeof event.timestamp === "number" && Number.isFinite(event.timestamp)
    ? event.timestamp
    : now;
}

/**
 * Keeps the host's shared tables current: who follows the bot and which groups it is in. Runs in
 * the same transaction that routes the event, so the tables never miss or double an event.
 * `followedAt`/`unfollowedAt` and `joinedAt`/`leftAt` are event times, and an event older than the
 * last recorded change is ignored: a follow LINE redelivers after the unfollow must not undo it.
 */
export function applyToSharedState(tx: Tx, event: EventLike, now: number): void {
  const source = event.source;
  if (!source) return;
  const at = eventTime(event, now);
  const userId = typeof source.userId === "string" ? source.userId : undefined;
  if (source.type === "user" && userId && (event.type === "follow" || event.type === "unfollow")) {
    const following = event.type === "follow";
    tx.insert(users)
      .values({
        userId,
        following,
        updatedAt: now,
        ...(following ? { followedAt: at } : { unfollowedAt: at }),
      })
      .onConflictDoUpdate({
        target: users.userId,
        set: following
          ? { following: true, followedAt: at, updatedAt: now }
          : { following: false, unfollowedAt: at, updatedAt: now },
        setWhere: sql`coalesce(${users.followedAt}, 0) <= ${at} and coalesce(${users.unfollowedAt}, 0) <= ${at}`,
      })
      .run();
    return;
  }
  if (userId) {
    tx.insert(users).values({ userId, updatedAt: now }).onConflictDoNothing().run();
  }
  if (event.type !== "join" && event.type !== "leave") return;
  const chat = chatOf(source);
  if (!chat || chat.type === "user") return;
  const member = event.type === "join";
  tx.insert(chats)
    .values({
      chatKey: `${chat.type}:${chat.id}`,
      type: chat.type,
      chatId: chat.id,
      member,
      updatedAt: now,
      ...(member ? { joinedAt: at } : { leftAt: at }),
    })
    .onConflictDoUpdate({
      target: chats.chatKey,
      set: member
        ? { member: true, joinedAt: at, updatedAt: now }
        : { member: false, leftAt: at, updatedAt: now },
      setWhere: sql`coalesce(${chats.joinedAt}, 0) <= ${at} and coalesce(${chats.leftAt}, 0) <= ${at}`,
    })
    .run();
}
