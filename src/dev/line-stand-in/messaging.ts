/** The Messaging API handlers: sending, profiles, link tokens, bot info and the loading animation. */

import type { RouteRequest } from "./handler.ts";
import { isRecord, requireString, validateMessages } from "./messages.ts";
import type { PlatformState } from "./state.ts";
import type { Profile, SentMessageObject } from "./types.ts";
import {
  bodyErrors,
  type ErrorDetail,
  invalidProperty,
  isChatId,
  isUserId,
  isUuid,
  lineError,
  MESSAGES,
  type Outcome,
  randomToken,
} from "./wire.ts";

type Parsed<T> = { ok: true; value: T } | { ok: false; outcome: Outcome };

/** The request body as an object, or LINE's 400 for a body that is not a JSON object. */
function jsonObject(req: RouteRequest): Parsed<Record<string, unknown>> {
  if (req.malformedJson) {
    const outcome = lineError(
      400,
      "The request body could not be parsed as JSON (line: -, column: -)",
    );
    return { ok: false, outcome };
  }
  if (req.body === null) return { ok: true, value: {} };
  if (!isRecord(req.body)) return { ok: false, outcome: invalidProperty("body") };
  return { ok: true, value: req.body };
}

interface SendRequest {
  target: string;
  messages: SentMessageObject[];
  notificationDisabled: boolean;
}

function parseSend(
  body: Record<string, unknown>,
  targetProperty: "replyToken" | "to",
): Parsed<SendRequest> {
  const errors = [...requireString(body, targetProperty), ...validateMessages(body.messages)];
  if (errors.length > 0) return { ok: false, outcome: bodyErrors(errors) };
  const value = {
    target: body[targetProperty] as string,
    messages: body.messages as SentMessageObject[],
    notificationDisabled: body.notificationDisabled === true,
  };
  return { ok: true, value };
}

/**
 * A `to` that is given but is no user, group or room id. LINE reads it before it validates the
 * rest, so it fails on its own with "The property, 'to', … is invalid" (no details), as LINE's
 * servers answer a push to a name, a phone number or a LINE ID (quoted in LINE's SDK issues).
 */
function isMalformedRecipient(to: unknown): boolean {
  if (to === undefined || to === null || to === "") return false; // "May not be empty"
  return typeof to !== "string" || !isChatId(to);
}

export function reply(state: PlatformState, req: RouteRequest): Outcome {
  // LINE accepts X-Line-Retry-Key only on push, multicast, narrowcast and broadcast.
  if (req.retryKey !== null) return lineError(400, "X-Line-Retry-Key is not supported by this API");
  const body = jsonObject(req);
  if (!body.ok) return body.outcome;
  const parsed = parseSend(body.value, "replyToken");
  if (!parsed.ok) return parsed.outcome;
  const { target: replyToken, messages, notificationDisabled } = parsed.value;
  if (!state.consumeReplyToken(replyToken)) return lineError(400, MESSAGES.invalidReplyToken);
  const sentMessages = state.send(messages);
  state.replies.push({ replyToken, messages, notificationDisabled, sentMessages });
  return { status: 200, body: { sentMessages } };
}

export function push(state: PlatformState, req: RouteRequest): Outcome {
  const retryKey = req.retryKey;
  if (retryKey !== null && !isUuid(retryKey)) {
    return lineError(400, "The value for the 'X-Line-Retry-Key' header is invalid");
  }
  const accepted = retryKey === null ? undefined : state.acceptedRetryKey(retryKey);
  if (accepted !== undefined) {
    return {
      status: 409,
      body: { message: MESSAGES.retryKeyAccepted, sentMessages: accepted.sentMessages },
      headers: { "x-line-accepted-request-id": accepted.requestId },
    };
  }
  const body = jsonObject(req);
  if (!body.ok) return body.outcome;
  if (isMalformedRecipient(body.value.to)) return invalidProperty("to");
  const parsed = parseSend(body.value, "to");
  if (!parsed.ok) return parsed.outcome;
  const { target: to, messages, notificationDisabled } = parsed.value;
  const sentMessages = state.send(messages);
  if (retryKey !== null) {
    state.acceptRetryKey(retryKey, { requestId: req.requestId, sentMessages, at: state.now() });
  }
  state.pushes.push({ to, messages, notificationDisabled, retryKey, sentMessages });
  return { status: 200, body: { sentMessages } };
}

export function userProfile(state: PlatformState, req: RouteRequest): Outcome {
  const profile = state.profile(req.params.userId ?? "");
  return profile === undefined ? lineError(404, MESSAGES.notFound) : { status: 200, body: profile };
}

/** Group and room member profiles carry only these fields. */
export function memberProfile(state: PlatformState, req: RouteRequest): Outcome {
  const profile = state.profile(req.params.userId ?? "");
  if (profile === undefined) return lineError(404, MESSAGES.notFound);
  const { userId, displayName, pictureUrl }: Profile = profile;
  return { status: 200, body: { userId, displayName, pictureUrl } };
}

export function issueLinkToken(state: PlatformState, req: RouteRequest): Outcome {
  const linkToken = randomToken(32);
  state.linkTokens.push({ userId: req.params.userId ?? "", linkToken, at: state.now() });
  return { status: 200, body: { linkToken } };
}

export function botInfo(state: PlatformState): Outcome {
  return { status: 200, body: state.botInfo };
}

export function showLoading(_state: PlatformState, req: RouteRequest): Outcome {
  const parsed = jsonObject(req);
  if (!parsed.ok) return parsed.outcome;
  const body = parsed.value;
  const errors: ErrorDetail[] = requireString(body, "chatId");
  if (errors.length === 0 && !isUserId(String(body.chatId))) {
    errors.push({
      message:
        "Only user id is acceptable, please confirm if there are any group/room ids or illegal ids.",
      property: "chatId",
    });
  }
  errors.push(...validateLoadingSeconds(body.loadingSeconds));
  if (errors.length > 0) return bodyErrors(errors);
  return { status: 202, body: {} };
}

function validateLoadingSeconds(seconds: unknown): ErrorDetail[] {
  if (seconds === undefined) return [];
  const errors: ErrorDetail[] = [];
  if (typeof seconds !== "number" || seconds < 5 || seconds > 60) {
    errors.push({ message: "Must be between 5 and 60", property: "loadingSeconds" });
  }
  if (typeof seconds !== "number" || seconds % 5 !== 0) {
    errors.push({ message: "must be a multiple of five", property: "loadingSeconds" });
  }
  return errors;
}
