/** The other Messaging API handlers: profiles, link tokens, bot and webhook info, quota, chat UI. */

import type { RouteRequest } from "./handler.ts";
import { checkedBody, isRecord, jsonObject } from "./requests.ts";
import type { PlatformState } from "./state.ts";
import {
  bodyErrors,
  invalidParameter,
  isUserId,
  lineError,
  MESSAGES,
  OK,
  type Outcome,
  randomToken,
} from "./wire.ts";

export function userProfile(state: PlatformState, req: RouteRequest): Outcome {
  const userId = req.params.userId ?? "";
  if (!isUserId(userId)) return invalidParameter("userId");
  const profile = state.profile(userId);
  return profile === undefined ? lineError(404, MESSAGES.notFound) : { status: 200, body: profile };
}

export function issueLinkToken(state: PlatformState, req: RouteRequest): Outcome {
  const userId = req.params.userId ?? "";
  if (!isUserId(userId)) return invalidParameter("userId");
  const linkToken = randomToken(32);
  state.linkTokens.push({ userId, linkToken, at: state.now() });
  return { status: 200, body: { linkToken } };
}

export function botInfo(state: PlatformState): Outcome {
  return { status: 200, body: state.botInfo };
}

export function showLoading(_state: PlatformState, req: RouteRequest): Outcome {
  const body = checkedBody(req, "ShowLoadingAnimationRequest");
  return body.ok ? { status: 202, body: {} } : body.outcome;
}

export function markAsRead(state: PlatformState, req: RouteRequest): Outcome {
  const body = checkedBody(req, "MarkMessagesAsReadRequest");
  if (!body.ok) return body.outcome;
  const userId = String((body.value.chat as { userId: unknown }).userId);
  if (!isUserId(userId))
    return bodyErrors([{ message: "invalid user id", property: "chat.userId" }]);
  state.markedAsRead.push(userId);
  return OK;
}

export function quota(state: PlatformState): Outcome {
  const { monthlyQuota } = state;
  const body =
    monthlyQuota === undefined ? { type: "none" } : { type: "limited", value: monthlyQuota };
  return { status: 200, body };
}

export function quotaConsumption(state: PlatformState): Outcome {
  return { status: 200, body: { totalUsage: state.quotaUsed } };
}

export function webhookEndpoint(state: PlatformState): Outcome {
  return { status: 200, body: state.webhook };
}

export function setWebhookEndpoint(state: PlatformState, req: RouteRequest): Outcome {
  const body = jsonObject(req);
  if (!body.ok) return body.outcome;
  const endpoint = body.value.endpoint;
  if (typeof endpoint !== "string" || !/^https:\/\/\S+$/.test(endpoint) || endpoint.length > 500)
    return bodyErrors([{ message: "invalid webhook endpoint", property: "endpoint" }]);
  state.webhook = { ...state.webhook, endpoint };
  return OK;
}

/** The stand-in reaches no webhook: the test is reported as LINE reports an unreachable one. */
export function testWebhookEndpoint(state: PlatformState, req: RouteRequest): Outcome {
  const body = jsonObject(req);
  if (!body.ok) return body.outcome;
  const endpoint =
    isRecord(body.value) && typeof body.value.endpoint === "string"
      ? body.value.endpoint
      : state.webhook.endpoint;
  return {
    status: 200,
    body: {
      success: false,
      timestamp: new Date(state.now()).toISOString(),
      statusCode: 0,
      reason: "COULD_NOT_CONNECT",
      detail: `the LINE stand-in does not call webhooks (${endpoint})`,
    },
  };
}
