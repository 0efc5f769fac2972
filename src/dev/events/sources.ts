/** The chats an event comes from: a user's 1:1 chat, a group, a multi-person chat. */
import type { GroupSource, RoomSource, UserSource } from "../../core/events.ts";
import { DEFAULT_GROUP_ID, DEFAULT_ROOM_ID, DEFAULT_USER_ID } from "./ids.ts";

export function user(userId: string = DEFAULT_USER_ID): UserSource {
  return { type: "user", userId };
}

/** A group chat; `userId` (the sender, message events only) defaults to DEFAULT_USER_ID, null omits it. */
export function group(
  groupId: string = DEFAULT_GROUP_ID,
  userId: string | null = DEFAULT_USER_ID,
): GroupSource {
  return userId === null ? { type: "group", groupId } : { type: "group", groupId, userId };
}

/** A multi-person chat; `userId` as for group(). */
export function room(
  roomId: string = DEFAULT_ROOM_ID,
  userId: string | null = DEFAULT_USER_ID,
): RoomSource {
  return userId === null ? { type: "room", roomId } : { type: "room", roomId, userId };
}
