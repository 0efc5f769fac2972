import type { SqlDatabase } from "../platform/mod.ts";
import { chats, users } from "./schema.ts";

type Tx = Parameters<Parameters<SqlDatabase["transaction"]>[0]>[0];

interface EventLike {
  type: string;
  source?: { type?: unknown; userId?: unknown; groupId?: unknown; roomId?: unknown } | undefined;
}

/**
 * Keeps the host's shared tables current: who follows the bot and which groups it is in. Runs in
 * the same transaction that routes the event, so the tables never miss or double an event.
 */
export function applyToSharedState(tx: Tx, event: EventLike, now: number): void {
  const source = event.source;
  if (!source) return;
  const userId = typeof source.userId === "string" ? source.userId : undefined;
  if (source.type === "user" && userId && (event.type === "follow" || event.type === "unfollow")) {
    const following = event.type === "follow";
    tx.insert(users)
      .values({
        userId,
        following,
        updatedAt: now,
        ...(following ? { followedAt: now } : { unfollowedAt: now }),
      })
      .onConflictDoUpdate({
        target: users.userId,
        set: following
          ? { following: true, followedAt: now, updatedAt: now }
          : { following: false, unfollowedAt: now, updatedAt: now },
      })
      .run();
    return;
  }
  if (userId) {
    tx.insert(users).values({ userId, updatedAt: now }).onConflictDoNothing().run();
  }
  if (event.type !== "join" && event.type !== "leave") return;
  const chatType = source.type === "group" || source.type === "room" ? source.type : undefined;
  const chatId =
    chatType === "group" ? source.groupId : chatType === "room" ? source.roomId : undefined;
  if (!chatType || typeof chatId !== "string") return;
  const member = event.type === "join";
  tx.insert(chats)
    .values({
      chatKey: `${chatType}:${chatId}`,
      type: chatType,
      chatId,
      member,
      updatedAt: now,
      ...(member ? { joinedAt: now } : { leftAt: now }),
    })
    .onConflictDoUpdate({
      target: chats.chatKey,
      set: member
        ? { member: true, joinedAt: now, updatedAt: now }
        : { member: false, leftAt: now, updatedAt: now },
    })
    .run();
}
