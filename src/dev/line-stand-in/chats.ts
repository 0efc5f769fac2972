/** Group and room endpoints: summary, member counts, ids and profiles, and leaving. */

import type { RouteRequest } from "./handler.ts";
import type { PlatformState } from "./state.ts";
import type { Profile } from "./types.ts";
import {
  invalidParameter,
  isGroupId,
  isRoomId,
  isUserId,
  lineError,
  MESSAGES,
  OK,
  type Outcome,
} from "./wire.ts";

type Kind = "group" | "room";
/** LINE pages member ids by 100 ("Max: 100 user IDs"). */
export const MEMBER_IDS_PAGE = 100;

const ID_CHECKS = { group: isGroupId, room: isRoomId };

interface ChatLookUp {
  id: string;
  /** Undefined for a chat never seen, which is answered as empty unless `unknownUsers` is 404. */
  chat?: ReturnType<PlatformState["chats"]["get"]>;
  /** LINE's 400 (malformed id) or 404 (a chat the bot is not in). */
  outcome?: Outcome;
}

function chatOf(state: PlatformState, req: RouteRequest, kind: Kind): ChatLookUp {
  const id = req.params[`${kind}Id`] ?? "";
  if (!ID_CHECKS[kind](id)) return { id, outcome: invalidParameter(`${kind}Id`) };
  const chat = state.chats.get(kind, id);
  if (chat === undefined && state.unknownUsers === "notFound")
    return { id, outcome: lineError(404, MESSAGES.notFound) };
  return { id, chat };
}

const summary =
  (kind: Kind) =>
  (state: PlatformState, req: RouteRequest): Outcome => {
    const { outcome, id, chat } = chatOf(state, req, kind);
    if (outcome) return outcome;
    const pictureUrl = chat?.pictureUrl !== undefined ? { pictureUrl: chat.pictureUrl } : {};
    const groupName = chat?.name ?? `Group ${id.slice(-4)}`;
    return { status: 200, body: { groupId: id, groupName, ...pictureUrl } };
  };

const memberCount =
  (kind: Kind) =>
  (state: PlatformState, req: RouteRequest): Outcome => {
    const { outcome, chat } = chatOf(state, req, kind);
    return outcome ?? { status: 200, body: { count: chat?.members.size ?? 0 } };
  };

/** A page of ids; `next` is the start of the following page, while there is one. */
const memberIds =
  (kind: Kind) =>
  (state: PlatformState, req: RouteRequest): Outcome => {
    const { outcome, chat } = chatOf(state, req, kind);
    if (outcome) return outcome;
    const ids = [...(chat?.members ?? [])];
    const start = req.query.get("start");
    const from = start === null ? 0 : Number(start);
    if (!Number.isInteger(from) || from < 0 || from > ids.length)
      return lineError(400, "Invalid start param");
    const memberIds = ids.slice(from, from + MEMBER_IDS_PAGE);
    const next =
      from + MEMBER_IDS_PAGE < ids.length ? { next: String(from + MEMBER_IDS_PAGE) } : {};
    return { status: 200, body: { memberIds, ...next } };
  };

/** Group and room member profiles carry only these fields, and only for members. */
const memberProfile =
  (kind: Kind) =>
  (state: PlatformState, req: RouteRequest): Outcome => {
    const { outcome, chat } = chatOf(state, req, kind);
    if (outcome) return outcome;
    const userId = req.params.userId ?? "";
    if (!isUserId(userId)) return invalidParameter("userId");
    if (chat !== undefined && !chat.members.has(userId)) return lineError(404, MESSAGES.notFound);
    const profile = state.profile(userId);
    if (profile === undefined) return lineError(404, MESSAGES.notFound);
    const { displayName, pictureUrl }: Profile = profile;
    return { status: 200, body: { userId, displayName, ...(pictureUrl ? { pictureUrl } : {}) } };
  };

const leave =
  (kind: Kind) =>
  (state: PlatformState, req: RouteRequest): Outcome => {
    const { outcome, id } = chatOf(state, req, kind);
    if (outcome) return outcome;
    state.chats.leave(kind, id);
    return OK;
  };

export const groupSummary = summary("group");
export const groupMemberCount = memberCount("group");
export const roomMemberCount = memberCount("room");
export const groupMemberIds = memberIds("group");
export const roomMemberIds = memberIds("room");
export const groupMemberProfile = memberProfile("group");
export const roomMemberProfile = memberProfile("room");
export const leaveGroup = leave("group");
export const leaveRoom = leave("room");
