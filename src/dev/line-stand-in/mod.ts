/**
 * A stand-in for the LINE Platform's Messaging API and content API, as a web-standard fetch
 * handler: local mode runs the bot against it, and tests point both base URLs at it.
 */

export { BoundedContents, type ContentBudget } from "./bounded-contents.ts";
export type { ChatSpec } from "./chat-state.ts";
export { MONTHLY_LIMIT_BODY, monthlyLimitFault } from "./faults.ts";
export type { StoredRichMenu } from "./rich-menu-state.ts";
export { LineStandIn, type WaitOptions } from "./stand-in.ts";
export type {
  BotInfo,
  ContentSpec,
  FaultSpec,
  LineStandInOptions,
  Profile,
  RecordedCast,
  RecordedLinkToken,
  RecordedPush,
  RecordedReply,
  RecordedRequest,
  SentMessage,
  SentMessageObject,
  TranscodingStatus,
} from "./types.ts";
