/** What goes over the wire: LINE's error shapes, ids and turning an outcome into a Response. */

export interface ErrorDetail {
  message: string;
  property: string;
}

/** A handler's answer, turned into a Response in one place so every answer gets LINE's headers. */
export interface Outcome {
  status: number;
  /** JSON body; a string is sent as text/plain. Omitted: empty body. */
  body?: unknown;
  /** Binary body. */
  bytes?: Uint8Array;
  /** Send `bytes` as a chunked stream without Content-Length. */
  chunked?: boolean;
  contentType?: string;
  headers?: Record<string, string>;
}

// Error messages as LINE words them (Messaging API reference, "Error messages" and per-endpoint
// examples; the 401 texts as LINE's servers send them, quoted in SDK issues).
export const MESSAGES = {
  authMissing:
    "Authorization header required. Must follow the scheme, 'Authorization: Bearer <ACCESS TOKEN>'",
  authFailed:
    "Authentication failed. Confirm that the access token in the authorization header is valid.",
  invalidReplyToken: "Invalid reply token",
  retryKeyAccepted: "The retry key is already accepted",
  notFound: "Not found",
  contentNotFound: "not found",
  contentGone: "The content is gone",
  transcodingUnsupported: "Transcoding status doesn't support this type of content",
  previewUnsupported: "The content can not be previewed",
  rateLimited: "The API rate limit has been exceeded. Try again later.",
  internal: "Internal server error",
} as const;

export function lineError(status: number, message: string, details: ErrorDetail[] = []): Outcome {
  // LINE leaves `details` out rather than sending an empty array.
  return { status, body: details.length > 0 ? { message, details } : { message } };
}

export function bodyErrors(details: ErrorDetail[]): Outcome {
  return lineError(400, `The request body has ${details.length} error(s)`, details);
}

/** LINE's 400 for a path parameter it cannot read (`userId`, `groupId`…). */
export function invalidParameter(name: string): Outcome {
  return lineError(400, `The value for the '${name}' parameter is invalid`);
}

export function invalidProperty(property: string): Outcome {
  return lineError(
    400,
    `The property, '${property}', in the request body is invalid (line: -, column: -)`,
  );
}

const DEFAULT_ERROR_MESSAGES: Record<number, string> = {
  400: "Bad request",
  401: MESSAGES.authFailed,
  403: "Access to this API is not available for your account",
  404: MESSAGES.notFound,
  409: MESSAGES.retryKeyAccepted,
  410: MESSAGES.contentGone,
  413: "Request entity too large",
  429: MESSAGES.rateLimited,
  500: MESSAGES.internal,
};

export function defaultErrorBody(status: number): { message: string } {
  return { message: DEFAULT_ERROR_MESSAGES[status] ?? `Error ${status}` };
}

/** An empty JSON object: what most of LINE's endpoints answer on success. */
export const OK: Outcome = { status: 200, body: {} };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** LINE's ids of a chat: U (a user), C (a group) or R (a room), then 32 lower-case hex digits. */
const CHAT_ID = /^[UCR][0-9a-f]{32}$/;

export function isChatId(value: string): boolean {
  return CHAT_ID.test(value);
}

export function isUserId(value: string): boolean {
  return value.startsWith("U") && CHAT_ID.test(value);
}

export function isGroupId(value: string): boolean {
  return value.startsWith("C") && CHAT_ID.test(value);
}

export function isRoomId(value: string): boolean {
  return value.startsWith("R") && CHAT_ID.test(value);
}

/** LINE's rich menu ids: `richmenu-` and 32 hex digits. */
const RICH_MENU_ID = /^richmenu-[0-9a-f]{32}$/;

export function isRichMenuId(value: string): boolean {
  return RICH_MENU_ID.test(value);
}

export function randomHex(digits: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(Math.ceil(digits / 2)));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0"))
    .join("")
    .slice(0, digits);
}

const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** Random token in the style of LINE's reply, link and quote tokens. */
export function randomToken(length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  let token = "";
  for (const byte of bytes) token += ALPHANUMERIC[byte % ALPHANUMERIC.length];
  return token;
}

export function randomRequestId(): string {
  return crypto.randomUUID();
}

const CHUNK_BYTES = 64 * 1024;

function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.byteLength) {
        controller.close();
        return;
      }
      controller.enqueue(bytes.slice(offset, offset + CHUNK_BYTES));
      offset += CHUNK_BYTES;
    },
  });
}

export function toResponse(outcome: Outcome, requestId: string): Response {
  const headers = new Headers(outcome.headers);
  headers.set("x-line-request-id", requestId);
  if (outcome.bytes !== undefined) {
    headers.set("content-type", outcome.contentType ?? "application/octet-stream");
    if (outcome.chunked)
      return new Response(streamOf(outcome.bytes), { status: outcome.status, headers });
    // A Blob, not a ReadableStream: Bun.serve drops Content-Length for stream bodies (all but tiny
    // ones) and sends them chunked, while LINE sends the length. Callers still read a stream.
    headers.set("content-length", String(outcome.bytes.byteLength));
    const blob = new Blob([outcome.bytes as Uint8Array<ArrayBuffer>]);
    return new Response(blob, { status: outcome.status, headers });
  }
  if (outcome.body === undefined) return new Response(null, { status: outcome.status, headers });
  if (typeof outcome.body === "string") {
    headers.set("content-type", outcome.contentType ?? "text/plain; charset=utf-8");
    return new Response(outcome.body, { status: outcome.status, headers });
  }
  headers.set("content-type", "application/json");
  return new Response(JSON.stringify(outcome.body), { status: outcome.status, headers });
}
