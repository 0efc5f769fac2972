/**
 * Imagemap messages: an image (served at `baseUrl/1040`, `/700`, `/460`, `/300`, `/240`) with
 * tappable areas, in coordinates of a 1040-pixel-wide image.
 *
 *   imagemap.message("Menu", "https://example.com/menu", 1040, [
 *     imagemap.uri("https://example.com/a", imagemap.area(0, 0, 520, 1040)),
 *     imagemap.text("B, please", imagemap.area(520, 0, 520, 1040)),
 *   ])
 */

import type { messagingApi } from "@line/bot-sdk";
import { built, defined } from "./built.ts";

type Area = messagingApi.ImagemapArea;

/** LINE's imagemaps are designed at this width; the base size's width is always this. */
export const IMAGEMAP_WIDTH = 1040;

export const imagemap = {
  message(
    altText: string,
    baseUrl: string,
    height: number,
    actions: messagingApi.ImagemapAction[],
    video?: messagingApi.ImagemapVideo,
  ): messagingApi.ImagemapMessage {
    const baseSize = { width: IMAGEMAP_WIDTH, height };
    return built(
      "Message",
      defined({ type: "imagemap", altText, baseUrl, baseSize, actions, video }),
    );
  },
  area(x: number, y: number, width: number, height: number): Area {
    return { x, y, width, height };
  },
  /** Opens `linkUri`. */
  uri(linkUri: string, area: Area, label?: string): messagingApi.URIImagemapAction {
    return defined({ type: "uri", linkUri, area, label });
  },
  /** The user sends `text`. */
  text(text: string, area: Area, label?: string): messagingApi.MessageImagemapAction {
    return defined({ type: "message", text, area, label });
  },
  /** Copies `clipboardText`. */
  clipboard(
    clipboardText: string,
    area: Area,
    label?: string,
  ): messagingApi.ClipboardImagemapAction {
    return defined({ type: "clipboard", clipboardText, area, label });
  },
};
