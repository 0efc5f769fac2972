/** The part of LINE's request validation a bot can trip over: message counts, types and text. */

import type { SentMessageObject } from "./types.ts";
import type { ErrorDetail } from "./wire.ts";

export const MAX_MESSAGES = 5;
/** LINE counts UTF-16 code units, which is what `String.length` counts. */
export const MAX_TEXT_LENGTH = 5000;

// The Message discriminator of LINE's OpenAPI file.
const MESSAGE_TYPES = [
  "text",
  "textV2",
  "sticker",
  "image",
  "video",
  "audio",
  "location",
  "imagemap",
  "template",
  "flex",
  "coupon",
];
/** Types a user can quote, so LINE returns a quoteToken for them. */
const QUOTABLE_TYPES = new Set(["text", "textV2", "sticker"]);

export function isQuotable(message: SentMessageObject): boolean {
  return QUOTABLE_TYPES.has(message.type);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function requireString(body: Record<string, unknown>, property: string): ErrorDetail[] {
  const value = body[property];
  return typeof value === "string" && value !== ""
    ? []
    : [{ message: "May not be empty", property }];
}

export function validateMessages(messages: unknown): ErrorDetail[] {
  if (!Array.isArray(messages)) return [{ message: "May not be empty", property: "messages" }];
  if (messages.length < 1 || messages.length > MAX_MESSAGES) {
    return [{ message: `Size must be between 1 and ${MAX_MESSAGES}`, property: "messages" }];
  }
  return messages.flatMap((message, index) => validateMessage(message, `messages[${index}]`));
}

function validateMessage(message: unknown, at: string): ErrorDetail[] {
  if (!isRecord(message) || typeof message.type !== "string" || message.type === "") {
    return [{ message: "May not be empty", property: `${at}.type` }];
  }
  if (!MESSAGE_TYPES.includes(message.type)) {
    return [
      {
        message: `Must be one of the following values: [${MESSAGE_TYPES.join(", ")}]`,
        property: `${at}.type`,
      },
    ];
  }
  if (message.type === "text" || message.type === "textV2") return validateText(message.text, at);
  return [];
}

function validateText(text: unknown, at: string): ErrorDetail[] {
  if (typeof text !== "string" || text === "") {
    return [{ message: "May not be empty", property: `${at}.text` }];
  }
  if (text.length > MAX_TEXT_LENGTH) {
    return [{ message: `Length must be between 0 and ${MAX_TEXT_LENGTH}`, property: `${at}.text` }];
  }
  return [];
}
