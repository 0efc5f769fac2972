import type { ParsedEvent } from "../../core/parsed-event.ts";
import type { SharedUser, UserProfile } from "../store.ts";
import type { Sql, Tx } from "./connection.ts";

export const DEFAULT_CHANNEL = "default";

/**
 * Keeps the shared `users` and `chats` tables current from events, inside the transaction that
 * routes them. Times are event times: a change older than the last recorded one is ignored, so a
 * follow LINE redelivers after the unfollow does not undo it.
 */
export async function applySharedState(tx: Tx, parsed: ParsedEvent, now: number): Promise<void> {
  const source = (parsed.event as { source?: { type?: unknown; userId?: unknown } }).source;
  if (!source) return;
  const at = parsed.timestamp;
  const userId = typeof source.userId === "string" ? source.userId : undefined;
  const { type, chat } = parsed;
  const { channel } = parsed;
  if (source.type === "user" && userId && (type === "follow" || type === "unfollow")) {
    const following = type === "follow";
    await tx`
      insert into users (channel, user_id, following, followed_at, unfollowed_at, updated_at)
      values (${channel}, ${userId}, ${following}, ${following ? at : null},
              ${following ? null : at}, ${now})
      on conflict (channel, user_id) do update set
        following = excluded.following,
        followed_at = coalesce(excluded.followed_at, users.followed_at),
        unfollowed_at = coalesce(excluded.unfollowed_at, users.unfollowed_at),
        updated_at = excluded.updated_at
      where coalesce(users.followed_at, 0) <= ${at} and coalesce(users.unfollowed_at, 0) <= ${at}`;
    return;
  }
  if (userId) {
    await tx`
      insert into users (channel, user_id, updated_at) values (${channel}, ${userId}, ${now})
      on conflict do nothing`;
  }
  if ((type !== "join" && type !== "leave") || !chat || chat.type === "user") return;
  const member = type === "join";
  await tx`
    insert into chats (channel, chat_key, type, chat_id, member, joined_at, left_at, updated_at)
    values (${channel}, ${parsed.chatKey}, ${chat.type}, ${chat.id}, ${member},
            ${member ? at : null}, ${member ? null : at}, ${now})
    on conflict (channel, chat_key) do update set
      member = excluded.member,
      joined_at = coalesce(excluded.joined_at, chats.joined_at),
      left_at = coalesce(excluded.left_at, chats.left_at),
      updated_at = excluded.updated_at
    where coalesce(chats.joined_at, 0) <= ${at} and coalesce(chats.left_at, 0) <= ${at}`;
}

export async function readUser(sql: Sql, userId: string): Promise<SharedUser | undefined> {
  const [row] = await sql<SharedUser[]>`
    select user_id as "userId", display_name as "displayName", picture_url as "pictureUrl",
      status_message as "statusMessage", language, following, followed_at as "followedAt",
      unfollowed_at as "unfollowedAt", profile_fetched_at as "profileFetchedAt"
    from users where channel = ${DEFAULT_CHANNEL} and user_id = ${userId}`;
  return row ? { ...row } : undefined;
}

export async function saveProfile(
  sql: Sql,
  userId: string,
  profile: UserProfile,
  now: number,
): Promise<void> {
  const { displayName, pictureUrl, statusMessage, language } = profile;
  await sql`
    insert into users (channel, user_id, display_name, picture_url, status_message, language,
      profile_fetched_at, updated_at)
    values (${DEFAULT_CHANNEL}, ${userId}, ${displayName}, ${pictureUrl}, ${statusMessage},
      ${language}, ${now}, ${now})
    on conflict (channel, user_id) do update set
      display_name = excluded.display_name, picture_url = excluded.picture_url,
      status_message = excluded.status_message, language = excluded.language,
      profile_fetched_at = excluded.profile_fetched_at, updated_at = excluded.updated_at`;
}
