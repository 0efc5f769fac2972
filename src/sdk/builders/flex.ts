/**
 * Flex Messages from parts: boxes holding text, images, buttons, separators and icons, arranged
 * in bubbles, bubbles in a carousel. Containers are checked when built (a carousel holds at most
 * 12 bubbles, a bubble at most 30 KB of JSON); the message (`flex.message`) checks the whole.
 *
 *   flex.message("Your order", flex.bubble({
 *     body: flex.vbox([flex.text("Coffee", { weight: "bold" }), flex.separator()]),
 *     footer: flex.vbox([flex.button(action.postback("Pay", "pay"), { style: "primary" })]),
 *   }))
 */

import type { messagingApi } from "@line/bot-sdk";
import { built, defined, type Options } from "./built.ts";

type Box = messagingApi.FlexBox;
type BoxOptions = Options<Box, "layout" | "contents">;
type Component = messagingApi.FlexComponent;
type Bubble = messagingApi.FlexBubble;

const box = (layout: Box["layout"], contents: Component[], options: BoxOptions = {}): Box =>
  defined({ type: "box", layout, contents, ...options });

export const flex = {
  /** The message: `altText` shows in notifications and the chat list. */
  message(altText: string, contents: messagingApi.FlexContainer): messagingApi.FlexMessage {
    return built("Message", { type: "flex", altText, contents });
  },
  bubble(blocks: Options<Bubble>): Bubble {
    return built("FlexContainer", defined({ type: "bubble", ...blocks }));
  },
  carousel(bubbles: Bubble[]): messagingApi.FlexCarousel {
    return built("FlexContainer", { type: "carousel", contents: bubbles });
  },
  box,
  /** A box laying its contents out top to bottom. */
  vbox: (contents: Component[], options?: BoxOptions): Box => box("vertical", contents, options),
  /** A box laying its contents out side by side. */
  hbox: (contents: Component[], options?: BoxOptions): Box => box("horizontal", contents, options),
  /** A row aligned on the text baseline (text and icons). */
  baseline: (contents: Component[], options?: BoxOptions): Box =>
    box("baseline", contents, options),
  text(text: string, options: Options<messagingApi.FlexText, "text"> = {}): messagingApi.FlexText {
    return defined({ type: "text", text, ...options });
  },
  span(text: string, options: Options<messagingApi.FlexSpan, "text"> = {}): messagingApi.FlexSpan {
    return defined({ type: "span", text, ...options });
  },
  image(url: string, options: Options<messagingApi.FlexImage, "url"> = {}): messagingApi.FlexImage {
    return defined({ type: "image", url, ...options });
  },
  icon(url: string, options: Options<messagingApi.FlexIcon, "url"> = {}): messagingApi.FlexIcon {
    return defined({ type: "icon", url, ...options });
  },
  button(
    action: messagingApi.Action,
    options: Options<messagingApi.FlexButton, "action"> = {},
  ): messagingApi.FlexButton {
    return defined({ type: "button", action, ...options });
  },
  separator(options: Options<messagingApi.FlexSeparator> = {}): messagingApi.FlexSeparator {
    return defined({ type: "separator", ...options });
  },
};
