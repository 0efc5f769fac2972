import type { messagingApi } from "@line/bot-sdk";
import { built } from "./builders/built.ts";
import type { Message, MessageInput } from "./context.ts";

type QuickReplyItem = messagingApi.QuickReplyItem;
type Action = messagingApi.Action;

/**
 * Builders for the message objects of the Messaging API; the types are the official SDK's. Each
 * checks LINE's rules as it builds (see `flex`, `template` and `imagemap` for those messages).
 */
export const message = {
  text(text: string, options: { quoteToken?: string } = {}): messagingApi.TextMessage {
    return built("Message", { type: "text", text, ...options });
  },
  sticker(
    packageId: string,
    stickerId: string,
    options: { quoteToken?: string } = {},
  ): messagingApi.StickerMessage {
    return built("Message", { type: "sticker", packageId, stickerId, ...options });
  },
  image(
    originalContentUrl: string,
    previewImageUrl = originalContentUrl,
  ): messagingApi.ImageMessage {
    return built("Message", { type: "image", originalContentUrl, previewImageUrl });
  },
  video(
    originalContentUrl: string,
    previewImageUrl: string,
    trackingId?: string,
  ): messagingApi.VideoMessage {
    return built("Message", {
      type: "video",
      originalContentUrl,
      previewImageUrl,
      ...(trackingId ? { trackingId } : {}),
    });
  },
  audio(originalContentUrl: string, durationMs: number): messagingApi.AudioMessage {
    return built("Message", { type: "audio", originalContentUrl, duration: durationMs });
  },
  location(
    title: string,
    address: string,
    latitude: number,
    longitude: number,
  ): messagingApi.LocationMessage {
    return built("Message", { type: "location", title, address, latitude, longitude });
  },
  flex(altText: string, contents: messagingApi.FlexContainer): messagingApi.FlexMessage {
    return built("Message", { type: "flex", altText, contents });
  },
  template(altText: string, template: messagingApi.Template): messagingApi.TemplateMessage {
    return built("Message", { type: "template", altText, template });
  },
};

/**
 * Quick reply buttons; attach with `withQuickReply`, which checks what depends on the message
 * (at most 13 buttons, labels of at most 20 characters).
 */
export const quickReply = {
  message(label: string, text = label): QuickReplyItem {
    return { type: "action", action: built("Action", { type: "message", label, text }) };
  },
  postback(label: string, data: string, displayText?: string): QuickReplyItem {
    const action = { type: "postback", label, data, ...(displayText ? { displayText } : {}) };
    return { type: "action", action: built("Action", action as messagingApi.PostbackAction) };
  },
  action(action: Action, imageUrl?: string): QuickReplyItem {
    return { type: "action", action: built("Action", action), ...(imageUrl ? { imageUrl } : {}) };
  },
};

export function withQuickReply<M extends Message>(msg: M, items: QuickReplyItem[]): M {
  return built("Message", { ...msg, quickReply: { items } });
}

/** Turns string shorthands into text messages. */
export function toMessages(input: MessageInput | readonly MessageInput[]): Message[] {
  const list = Array.isArray(input) ? input : [input];
  return list.map((item: MessageInput) => (typeof item === "string" ? message.text(item) : item));
}
