import type { messagingApi } from "@line/bot-sdk";

/** A message the bot sends: the official SDK's type, generated from LINE's OpenAPI file. */
export type Message = messagingApi.Message;
