/**
 * Template messages: buttons, confirm, carousel and image carousel. Checked when built: at most 4
 * buttons (3 per carousel column, each column alike), a title of at most 40 characters, text of
 * at most 160 (60 beside an image or a title), labels of at most 20 (12 in an image carousel).
 *
 *   template.message("Order?", template.confirm("Order a coffee?", [
 *     action.postback("Yes", "order=yes"), action.postback("No", "order=no"),
 *   ]))
 */

import type { messagingApi } from "@line/bot-sdk";
import { built, defined, type Options } from "./built.ts";

type Buttons = messagingApi.ButtonsTemplate;
type Column = messagingApi.CarouselColumn;
type Carousel = messagingApi.CarouselTemplate;

export const template = {
  /** The message: `altText` shows where templates cannot (notifications, the chat list). */
  message(altText: string, template: messagingApi.Template): messagingApi.TemplateMessage {
    return built("Message", { type: "template", altText, template });
  },
  buttons(
    text: string,
    actions: messagingApi.Action[],
    options: Options<Buttons, "text" | "actions"> = {},
  ): Buttons {
    return defined({ type: "buttons", text, actions, ...options });
  },
  /** Two buttons, such as yes and no. */
  confirm(
    text: string,
    actions: [messagingApi.Action, messagingApi.Action],
  ): messagingApi.ConfirmTemplate {
    return { type: "confirm", text, actions };
  },
  carousel(columns: Column[], options: Options<Carousel, "columns"> = {}): Carousel {
    return defined({ type: "carousel", columns, ...options });
  },
  column(
    text: string,
    actions: messagingApi.Action[],
    options: Omit<Column, "text" | "actions"> = {},
  ): Column {
    return defined({ text, actions, ...options });
  },
  imageCarousel(columns: messagingApi.ImageCarouselColumn[]): messagingApi.ImageCarouselTemplate {
    return { type: "image_carousel", columns };
  },
  imageColumn(imageUrl: string, action: messagingApi.Action): messagingApi.ImageCarouselColumn {
    return { imageUrl, action };
  },
};
