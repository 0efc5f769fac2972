/** The route table: which handler answers which method and path. */

import {
  groupMemberCount,
  groupMemberIds,
  groupMemberProfile,
  groupSummary,
  leaveGroup,
  leaveRoom,
  roomMemberCount,
  roomMemberIds,
  roomMemberProfile,
} from "./chats.ts";
import { getContent, getPreview, getTranscoding } from "./content.ts";
import type { Handler } from "./handler.ts";
import {
  botInfo,
  issueLinkToken,
  markAsRead,
  quota,
  quotaConsumption,
  setWebhookEndpoint,
  showLoading,
  testWebhookEndpoint,
  userProfile,
  webhookEndpoint,
} from "./messaging.ts";
import * as menus from "./rich-menus.ts";
import {
  broadcast,
  multicast,
  narrowcast,
  narrowcastProgress,
  push,
  reply,
  validateMessages,
} from "./sending.ts";

interface Route {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** `:name` segments capture one path segment. */
  pattern: string;
  handler: Handler;
}

const get = (pattern: string, handler: Handler): Route => ({ method: "GET", pattern, handler });
const post = (pattern: string, handler: Handler): Route => ({ method: "POST", pattern, handler });
const del = (pattern: string, handler: Handler): Route => ({ method: "DELETE", pattern, handler });

/** Static paths first: `/v2/bot/richmenu/list` is not the rich menu called "list". */
const ROUTES: Route[] = [
  post("/v2/bot/message/reply", reply),
  post("/v2/bot/message/push", push),
  post("/v2/bot/message/multicast", multicast),
  post("/v2/bot/message/narrowcast", narrowcast),
  get("/v2/bot/message/progress/narrowcast", narrowcastProgress),
  post("/v2/bot/message/broadcast", broadcast),
  ...["reply", "push", "multicast", "narrowcast", "broadcast"].map((kind) =>
    post(`/v2/bot/message/validate/${kind}`, validateMessages),
  ),
  get("/v2/bot/message/quota", quota),
  get("/v2/bot/message/quota/consumption", quotaConsumption),
  post("/v2/bot/message/markAsRead", markAsRead),
  post("/v2/bot/chat/loading/start", showLoading),
  get("/v2/bot/profile/:userId", userProfile),
  get("/v2/bot/group/:groupId/summary", groupSummary),
  get("/v2/bot/group/:groupId/members/count", groupMemberCount),
  get("/v2/bot/group/:groupId/members/ids", groupMemberIds),
  get("/v2/bot/group/:groupId/member/:userId", groupMemberProfile),
  post("/v2/bot/group/:groupId/leave", leaveGroup),
  get("/v2/bot/room/:roomId/members/count", roomMemberCount),
  get("/v2/bot/room/:roomId/members/ids", roomMemberIds),
  get("/v2/bot/room/:roomId/member/:userId", roomMemberProfile),
  post("/v2/bot/room/:roomId/leave", leaveRoom),
  post("/v2/bot/user/:userId/linkToken", issueLinkToken),
  get("/v2/bot/info", botInfo),
  get("/v2/bot/channel/webhook/endpoint", webhookEndpoint),
  { method: "PUT", pattern: "/v2/bot/channel/webhook/endpoint", handler: setWebhookEndpoint },
  post("/v2/bot/channel/webhook/test", testWebhookEndpoint),
  // Rich menus
  post("/v2/bot/richmenu", menus.createRichMenu),
  post("/v2/bot/richmenu/validate", menus.validateRichMenu),
  get("/v2/bot/richmenu/list", menus.listRichMenus),
  post("/v2/bot/richmenu/bulk/link", menus.bulkLinkRichMenu),
  post("/v2/bot/richmenu/bulk/unlink", menus.bulkUnlinkRichMenu),
  post("/v2/bot/richmenu/alias", menus.createRichMenuAlias),
  get("/v2/bot/richmenu/alias/list", menus.listRichMenuAliases),
  get("/v2/bot/richmenu/alias/:richMenuAliasId", menus.getRichMenuAlias),
  post("/v2/bot/richmenu/alias/:richMenuAliasId", menus.updateRichMenuAlias),
  del("/v2/bot/richmenu/alias/:richMenuAliasId", menus.deleteRichMenuAlias),
  get("/v2/bot/richmenu/:richMenuId", menus.getRichMenu),
  del("/v2/bot/richmenu/:richMenuId", menus.deleteRichMenu),
  post("/v2/bot/user/all/richmenu/:richMenuId", menus.setDefaultRichMenu),
  get("/v2/bot/user/all/richmenu", menus.getDefaultRichMenu),
  del("/v2/bot/user/all/richmenu", menus.clearDefaultRichMenu),
  post("/v2/bot/user/:userId/richmenu/:richMenuId", menus.linkRichMenu),
  get("/v2/bot/user/:userId/richmenu", menus.getUserRichMenu),
  del("/v2/bot/user/:userId/richmenu", menus.unlinkRichMenu),
  // api-data.line.me: served by the same handler so both base URLs can point here.
  get("/v2/bot/message/:messageId/content", getContent),
  get("/v2/bot/message/:messageId/content/transcoding", getTranscoding),
  get("/v2/bot/message/:messageId/content/preview", getPreview),
  post("/v2/bot/richmenu/:richMenuId/content", menus.uploadRichMenuImage),
  get("/v2/bot/richmenu/:richMenuId/content", menus.downloadRichMenuImage),
];

export function route(
  method: string,
  path: string,
): { handler: Handler; params: Record<string, string> } | undefined {
  for (const candidate of ROUTES) {
    if (candidate.method !== method) continue;
    const params = matchPattern(candidate.pattern, path);
    if (params !== undefined) return { handler: candidate.handler, params };
  }
  return undefined;
}

function matchPattern(pattern: string, path: string): Record<string, string> | undefined {
  const expected = pattern.split("/");
  const actual = path.split("/");
  if (expected.length !== actual.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, segment] of expected.entries()) {
    const value = actual[index] ?? "";
    if (segment.startsWith(":")) {
      if (value === "") return undefined;
      try {
        params[segment.slice(1)] = decodeURIComponent(value);
      } catch {
        return undefined;
      }
    } else if (segment !== value) {
      return undefined;
    }
  }
  return params;
}
