import type { messagingApi } from "@line/bot-sdk";
import type { Message, MessageInput } from "./context.ts";

type QuickReplyItem = messagingApi.QuickReplyItem;
type Action = messagingApi.Action;

/** Builders for the message objects of the Messaging API; the types are the official SDK's. */
export const message = {
  text(text: string, options: { quoteToken?: string } = {}): messagingApi.TextMessage {
    return { type: "text", text, ...options };
  },
  sticker(
    packageId: string,
    stickerId: string,
    options: { quoteToken?: string } = {},
  ): messagingApi.StickerMessage {
    return { type: "sticker", packageId, stickerId, ...options };
  },
  image(
    originalContentUrl: string,
    previewImageUrl = originalContentUrl,
  ): messagingApi.ImageMessage {
    return { type: "image", originalContentUrl, previewImageUrl };
  },
  video(
    originalContentUrl: string,
    previewImageUrl: string,
    trackingId?: string,
  ): messagingApi.VideoMessage {
    return {
      type: "video",
      originalContentUrl,
      previewImageUrl,
      ...(trackingId ? { trackingId } : {}),
    };
  },
  audio(originalContentUrl: string, durationMs: number): messagingApi.AudioMessage {
    return { type: "audio", originalContentUrl, duration: durationMs };
  },
  location(
    title: string,
    address: string,
    latitude: number,
    longitude: number,
  ): messagingApi.LocationMessage {
    return { type: "location", title, address, latitude, longitude };
  },
  flex(altText: string, contents: messagingApi.FlexContainer): messagingApi.FlexMessage {
    return { type: "flex", altText, contents };
  },
  template(altText: string, template: messagingApi.Template): messagingApi.TemplateMessage {
    return { type: "template", altText, template };
  },
};

/** Quick reply buttons; attach with `withQuickReply`. */
export const quickReply = {
  message(label: string, text = label): QuickReplyItem {
    return { type: "action", action: { type: "message", label, text } };
  },
  postback(label: string, data: string, displayText?: string): QuickReplyItem {
    return {
      type: "action",
      action: { type: "postback", label, data, ...(displayText ? { displayText } : {}) },
    };
  },
  action(action: Action, imageUrl?: string): QuickReplyItem {
    return { type: "action", action, ...(imageUrl ? { imageUrl } : {}) };
  },
};

export function withQuickReply<M extends Message>(msg: M, items: QuickReplyItem[]): M {
  return { ...msg, quickReply: { items } };
}

/** Turns string shorthands into text messages. */
export function toMessages(input: MessageInput | readonly MessageInput[]): Message[] {
  const list = Array.isArray(input) ? input : [input];
  return list.map((item: MessageInput) => (typeof item === "string" ? message.text(item) : item));
}
