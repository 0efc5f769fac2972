/**
 * LINE's documented limits that its OpenAPI file does not carry, as JSON Schema added to the
 * schemas of that file (by name). `scripts/line-schema.ts` applies them when it derives the
 * validators, so a request is checked against both in one pass; what JSON Schema cannot say
 * (sizes in bytes, areas within a menu, columns alike) is in `checks.ts`.
 *
 * Sources: the Messaging API reference (`doc` is its anchor), "Specifications of the label" for
 * the label limits, which depend on where the action sits.
 */

export type JsonSchema = { [keyword: string]: unknown };

export interface Limit {
  /** A schema of LINE's OpenAPI file (`components.schemas`). */
  schema: string;
  /** One of its properties; the whole schema when omitted. */
  property?: string;
  /** Keywords added; on a property that is a `$ref`, they apply beside the reference. */
  add: JsonSchema;
  /** The reference's anchor: https://developers.line.biz/en/reference/messaging-api/#<doc> */
  doc: string;
}

/** A user, group or room id: U, C or R, then 32 lower-case hex digits. */
export const CHAT_ID_PATTERN = "^[UCR][0-9a-f]{32}$";
export const USER_ID_PATTERN = "^U[0-9a-f]{32}$";
/** Images, videos and audio LINE fetches must be served over HTTPS. */
export const HTTPS_PATTERN = "^https://";

const length = (max: number, min = 0): JsonSchema => ({
  type: "string",
  minLength: min,
  maxLength: max,
});
const items = (max: number, min = 0): JsonSchema => ({
  type: "array",
  minItems: min,
  maxItems: max,
});
const mediaUrl: JsonSchema = { ...length(2000), pattern: HTTPS_PATTERN };
/** An action whose label is required and at most `max` characters. */
const labelled = (max: number): JsonSchema => ({
  required: ["label"],
  properties: { label: length(max, 1) },
});
const labelledActions = (max: number): JsonSchema => ({ items: labelled(max) });
/** Template texts: shorter when the template also shows an image or a title. */
const textWithImageOrTitle = (max: number): JsonSchema => ({
  if: { anyOf: [{ required: ["thumbnailImageUrl"] }, { required: ["title"] }] },
  // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then/else, never awaited
  then: { properties: { text: { maxLength: 60 } } },
  else: { properties: { text: { maxLength: max } } },
});

// biome-ignore format: a table reads best one limit to a line
export const LIMITS: Limit[] = [
  // Messages
  { schema: "TextMessage", property: "text", add: length(5000, 1), doc: "text-message" },
  { schema: "TextMessage", property: "emojis", add: items(20), doc: "text-message" },
  { schema: "TextMessageV2", property: "text", add: length(5000, 1), doc: "text-message-v2" },
  { schema: "QuickReply", add: { required: ["items"] }, doc: "items-object" },
  { schema: "QuickReply", property: "items", add: items(13, 1), doc: "items-object" },
  { schema: "QuickReplyItem", add: { required: ["type", "action"] }, doc: "quick-reply-button-object" },
  { schema: "QuickReplyItem", property: "type", add: { const: "action" }, doc: "quick-reply-button-object" },
  { schema: "QuickReplyItem", property: "imageUrl", add: mediaUrl, doc: "quick-reply-button-object" },
  { schema: "QuickReplyItem", property: "action", add: labelled(20), doc: "action-objects" },
  { schema: "ImageMessage", property: "originalContentUrl", add: mediaUrl, doc: "image-message" },
  { schema: "ImageMessage", property: "previewImageUrl", add: mediaUrl, doc: "image-message" },
  { schema: "VideoMessage", property: "originalContentUrl", add: mediaUrl, doc: "video-message" },
  { schema: "VideoMessage", property: "previewImageUrl", add: mediaUrl, doc: "video-message" },
  { schema: "VideoMessage", property: "trackingId", add: length(100, 1), doc: "video-message" },
  { schema: "AudioMessage", property: "originalContentUrl", add: mediaUrl, doc: "audio-message" },
  { schema: "AudioMessage", property: "duration", add: { minimum: 1 }, doc: "audio-message" },
  { schema: "LocationMessage", property: "title", add: length(100, 1), doc: "location-message" },
  { schema: "LocationMessage", property: "address", add: length(100, 1), doc: "location-message" },
  // Imagemap
  { schema: "ImagemapMessage", property: "baseUrl", add: mediaUrl, doc: "imagemap-message" },
  { schema: "ImagemapMessage", property: "altText", add: length(1500, 1), doc: "imagemap-message" },
  { schema: "ImagemapMessage", property: "actions", add: items(50), doc: "imagemap-message" },
  { schema: "ImagemapBaseSize", property: "width", add: { const: 1040 }, doc: "imagemap-message" },
  { schema: "ImagemapBaseSize", property: "height", add: { minimum: 1 }, doc: "imagemap-message" },
  { schema: "ImagemapArea", property: "x", add: { minimum: 0 }, doc: "imagemap-area-object" },
  { schema: "ImagemapArea", property: "y", add: { minimum: 0 }, doc: "imagemap-area-object" },
  { schema: "ImagemapArea", property: "width", add: { minimum: 1 }, doc: "imagemap-area-object" },
  { schema: "ImagemapArea", property: "height", add: { minimum: 1 }, doc: "imagemap-area-object" },
  { schema: "MessageImagemapAction", property: "text", add: length(400, 1), doc: "imagemap-message-action-object" },
  { schema: "MessageImagemapAction", property: "label", add: length(100), doc: "imagemap-message-action-object" },
  { schema: "URIImagemapAction", property: "linkUri", add: length(1000, 1), doc: "imagemap-uri-action-object" },
  { schema: "URIImagemapAction", property: "label", add: length(100), doc: "imagemap-uri-action-object" },
  { schema: "ImagemapExternalLink", property: "label", add: length(30), doc: "imagemap-message" },
  // Templates
  { schema: "TemplateMessage", property: "altText", add: length(1500, 1), doc: "template-messages" },
  { schema: "ButtonsTemplate", property: "thumbnailImageUrl", add: mediaUrl, doc: "buttons" },
  { schema: "ButtonsTemplate", property: "title", add: length(40), doc: "buttons" },
  { schema: "ButtonsTemplate", property: "text", add: length(160, 1), doc: "buttons" },
  { schema: "ButtonsTemplate", add: textWithImageOrTitle(160), doc: "buttons" },
  { schema: "ButtonsTemplate", property: "actions", add: { ...items(4, 1), ...labelledActions(20) }, doc: "buttons" },
  { schema: "ConfirmTemplate", property: "text", add: length(240, 1), doc: "confirm" },
  { schema: "ConfirmTemplate", property: "actions", add: { ...items(2, 2), ...labelledActions(20) }, doc: "confirm" },
  { schema: "CarouselTemplate", property: "columns", add: items(10, 1), doc: "carousel" },
  { schema: "CarouselColumn", property: "thumbnailImageUrl", add: mediaUrl, doc: "column-object-for-carousel" },
  { schema: "CarouselColumn", property: "title", add: length(40), doc: "column-object-for-carousel" },
  { schema: "CarouselColumn", property: "text", add: length(120, 1), doc: "column-object-for-carousel" },
  { schema: "CarouselColumn", add: textWithImageOrTitle(120), doc: "column-object-for-carousel" },
  { schema: "CarouselColumn", property: "actions", add: { ...items(3, 1), ...labelledActions(20) }, doc: "column-object-for-carousel" },
  { schema: "ImageCarouselTemplate", property: "columns", add: items(10, 1), doc: "image-carousel" },
  { schema: "ImageCarouselColumn", property: "imageUrl", add: mediaUrl, doc: "column-object-for-image-carousel" },
  { schema: "ImageCarouselColumn", property: "action", add: { properties: { label: length(12) } }, doc: "column-object-for-image-carousel" },
  // Flex
  { schema: "FlexMessage", property: "altText", add: length(1500, 1), doc: "flex-message" },
  { schema: "FlexCarousel", property: "contents", add: items(12, 1), doc: "f-carousel" },
  { schema: "FlexButton", property: "action", add: labelled(40), doc: "button" },
  { schema: "FlexImage", property: "url", add: mediaUrl, doc: "f-image" },
  { schema: "FlexText", add: { anyOf: [{ required: ["text"] }, { required: ["contents"] }] }, doc: "f-text" },
  // Actions
  { schema: "PostbackAction", add: { required: ["data"] }, doc: "postback-action" },
  { schema: "PostbackAction", property: "displayText", add: length(300, 1), doc: "postback-action" },
  { schema: "PostbackAction", property: "text", add: length(300, 1), doc: "postback-action" },
  { schema: "PostbackAction", property: "fillInText", add: length(300), doc: "postback-action" },
  { schema: "PostbackAction", add: { not: { required: ["displayText", "text"] } }, doc: "postback-action" },
  { schema: "MessageAction", add: { required: ["text"] }, doc: "message-action" },
  { schema: "MessageAction", property: "text", add: length(300, 1), doc: "message-action" },
  { schema: "URIAction", add: { required: ["uri"] }, doc: "uri-action" },
  { schema: "URIAction", property: "uri", add: length(1000, 1), doc: "uri-action" },
  { schema: "DatetimePickerAction", add: { required: ["data", "mode"] }, doc: "datetime-picker-action" },
  { schema: "RichMenuSwitchAction", add: { required: ["data", "richMenuAliasId"] }, doc: "richmenu-switch-action" },
  { schema: "ActionBase", property: "label", add: length(40), doc: "action-objects" },
  // Recipients
  { schema: "ReplyMessageRequest", property: "replyToken", add: { minLength: 1 }, doc: "send-reply-message" },
  { schema: "PushMessageRequest", property: "to", add: { minLength: 1, pattern: CHAT_ID_PATTERN }, doc: "send-push-message" },
  { schema: "MulticastRequest", property: "to", add: { items: { pattern: USER_ID_PATTERN } }, doc: "send-multicast-message" },
  { schema: "RichMenuBulkLinkRequest", property: "userIds", add: { items: { pattern: USER_ID_PATTERN } }, doc: "link-rich-menu-to-users" },
  { schema: "RichMenuBulkUnlinkRequest", property: "userIds", add: { items: { pattern: USER_ID_PATTERN } }, doc: "unlink-rich-menu-from-users" },
  // Rich menus
  { schema: "RichMenuRequest", add: { required: ["size", "selected", "name", "chatBarText", "areas"] }, doc: "rich-menu-object" },
  { schema: "RichMenuRequest", property: "areas", add: items(20, 1), doc: "rich-menu-object" },
  { schema: "RichMenuSize", add: { required: ["width", "height"] }, doc: "size-object" },
  { schema: "RichMenuSize", property: "width", add: { minimum: 800, maximum: 2500 }, doc: "size-object" },
  { schema: "RichMenuSize", property: "height", add: { minimum: 250 }, doc: "size-object" },
  { schema: "RichMenuArea", add: { required: ["bounds", "action"] }, doc: "area-object" },
  { schema: "RichMenuArea", property: "action", add: { properties: { label: length(20) } }, doc: "area-object" },
  { schema: "RichMenuBounds", add: { required: ["x", "y", "width", "height"] }, doc: "bounds-object" },
  // The loading animation
  { schema: "ShowLoadingAnimationRequest", property: "chatId", add: { pattern: USER_ID_PATTERN }, doc: "display-a-loading-indicator" },
  { schema: "ShowLoadingAnimationRequest", property: "loadingSeconds", add: { multipleOf: 5 }, doc: "display-a-loading-indicator" },
];
