/** Sending: reply, push, multicast, narrowcast, broadcast, and the endpoints that only validate. */

import type { RouteRequest } from "./handler.ts";
import { checkedBody, type Json } from "./requests.ts";
import type { PlatformState } from "./state.ts";
import type { SentMessageObject } from "./types.ts";
import { invalidParameter, isUuid, lineError, MESSAGES, OK, type Outcome } from "./wire.ts";

/** Push, multicast, narrowcast and broadcast take X-Line-Retry-Key: a repeat is answered 409. */
function repeated(state: PlatformState, req: RouteRequest): Outcome | undefined {
  const key = req.retryKey;
  if (key === null) return undefined;
  if (!isUuid(key)) return lineError(400, "The value for the 'X-Line-Retry-Key' header is invalid");
  const accepted = state.acceptedRetryKey(key);
  if (accepted === undefined) return undefined;
  return {
    status: 409,
    body: {
      message: MESSAGES.retryKeyAccepted,
      ...(accepted.sentMessages.length > 0 ? { sentMessages: accepted.sentMessages } : {}),
    },
    headers: { "x-line-accepted-request-id": accepted.requestId },
  };
}

function remember(state: PlatformState, req: RouteRequest, sentMessages = state.send([])): void {
  if (req.retryKey === null) return;
  state.acceptRetryKey(req.retryKey, { requestId: req.requestId, sentMessages, at: state.now() });
}

const messagesOf = (body: Json) => body.messages as SentMessageObject[];
const silent = (body: Json) => body.notificationDisabled === true;

export function reply(state: PlatformState, req: RouteRequest): Outcome {
  // LINE accepts X-Line-Retry-Key only on push, multicast, narrowcast and broadcast.
  if (req.retryKey !== null) return lineError(400, "X-Line-Retry-Key is not supported by this API");
  const body = checkedBody(req, "ReplyMessageRequest");
  if (!body.ok) return body.outcome;
  const replyToken = String(body.value.replyToken);
  if (!state.consumeReplyToken(replyToken)) return lineError(400, MESSAGES.invalidReplyToken);
  const messages = messagesOf(body.value);
  const sentMessages = state.send(messages);
  state.replies.push({
    replyToken,
    messages,
    notificationDisabled: silent(body.value),
    sentMessages,
  });
  return { status: 200, body: { sentMessages } };
}

export function push(state: PlatformState, req: RouteRequest): Outcome {
  const answered = repeated(state, req);
  if (answered !== undefined) return answered;
  const body = checkedBody(req, "PushMessageRequest");
  if (!body.ok) return body.outcome;
  const quotaExceeded = state.consumeQuota(1);
  if (quotaExceeded) return quotaExceeded;
  const messages = messagesOf(body.value);
  const sentMessages = state.send(messages);
  remember(state, req, sentMessages);
  const to = String(body.value.to);
  const notificationDisabled = silent(body.value);
  state.pushes.push({ to, messages, notificationDisabled, retryKey: req.retryKey, sentMessages });
  return { status: 200, body: { sentMessages } };
}

export function multicast(state: PlatformState, req: RouteRequest): Outcome {
  const answered = repeated(state, req);
  if (answered !== undefined) return answered;
  const body = checkedBody(req, "MulticastRequest");
  if (!body.ok) return body.outcome;
  const to = body.value.to as string[];
  const quotaExceeded = state.consumeQuota(to.length);
  if (quotaExceeded) return quotaExceeded;
  remember(state, req);
  state.casts.push({
    kind: "multicast",
    requestId: req.requestId,
    to,
    messages: messagesOf(body.value),
  });
  return OK;
}

export function broadcast(state: PlatformState, req: RouteRequest): Outcome {
  const answered = repeated(state, req);
  if (answered !== undefined) return answered;
  const body = checkedBody(req, "BroadcastRequest");
  if (!body.ok) return body.outcome;
  const to = [...state.followers];
  const quotaExceeded = state.consumeQuota(to.length);
  if (quotaExceeded) return quotaExceeded;
  remember(state, req);
  state.casts.push({
    kind: "broadcast",
    requestId: req.requestId,
    to,
    messages: messagesOf(body.value),
  });
  return OK;
}

/** Accepted (202) and sent at once to every follower: the progress endpoint says it succeeded. */
export function narrowcast(state: PlatformState, req: RouteRequest): Outcome {
  const answered = repeated(state, req);
  if (answered !== undefined) return answered;
  const body = checkedBody(req, "NarrowcastRequest");
  if (!body.ok) return body.outcome;
  const to = [...state.followers];
  const quotaExceeded = state.consumeQuota(to.length);
  if (quotaExceeded) return quotaExceeded;
  remember(state, req);
  state.casts.push({
    kind: "narrowcast",
    requestId: req.requestId,
    to,
    messages: messagesOf(body.value),
    at: state.now(),
  });
  return { status: 202, body: {} };
}

export function narrowcastProgress(state: PlatformState, req: RouteRequest): Outcome {
  const requestId = req.query.get("requestId") ?? "";
  if (requestId === "") return invalidParameter("requestId");
  const cast = state.casts.find((c) => c.kind === "narrowcast" && c.requestId === requestId);
  if (cast === undefined) return lineError(404, MESSAGES.notFound);
  const time = new Date(cast.at ?? state.now()).toISOString();
  const count = cast.to.length;
  return {
    status: 200,
    body: {
      phase: "succeeded",
      successCount: count,
      failureCount: 0,
      targetCount: count,
      acceptedTime: time,
      completedTime: time,
    },
  };
}

/** `POST /v2/bot/message/validate/<kind>`: LINE's checks of the messages, nothing sent. */
export function validateMessages(_state: PlatformState, req: RouteRequest): Outcome {
  const checked = checkedBody(req, "ValidateMessageRequest");
  return checked.ok ? OK : checked.outcome;
}
