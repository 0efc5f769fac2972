/** The route table: which handler answers which method and path. */

import { getContent, getPreview, getTranscoding } from "./content.ts";
import type { Handler } from "./handler.ts";
import {
  botInfo,
  issueLinkToken,
  memberProfile,
  push,
  reply,
  showLoading,
  userProfile,
} from "./messaging.ts";

interface Route {
  method: "GET" | "POST";
  /** `:name` segments capture one path segment. */
  pattern: string;
  handler: Handler;
}

const ROUTES: Route[] = [
  { method: "POST", pattern: "/v2/bot/message/reply", handler: reply },
  { method: "POST", pattern: "/v2/bot/message/push", handler: push },
  { method: "GET", pattern: "/v2/bot/profile/:userId", handler: userProfile },
  { method: "GET", pattern: "/v2/bot/group/:groupId/member/:userId", handler: memberProfile },
  { method: "GET", pattern: "/v2/bot/room/:roomId/member/:userId", handler: memberProfile },
  { method: "POST", pattern: "/v2/bot/user/:userId/linkToken", handler: issueLinkToken },
  { method: "GET", pattern: "/v2/bot/info", handler: botInfo },
  { method: "POST", pattern: "/v2/bot/chat/loading/start", handler: showLoading },
  // api-data.line.me: served by the same handler so both base URLs can point here.
  { method: "GET", pattern: "/v2/bot/message/:messageId/content", handler: getContent },
  {
    method: "GET",
    pattern: "/v2/bot/message/:messageId/content/transcoding",
    handler: getTranscoding,
  },
  { method: "GET", pattern: "/v2/bot/message/:messageId/content/preview", handler: getPreview },
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
