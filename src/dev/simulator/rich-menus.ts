/** The rich menu a person sees in their chat with the bot, as the LINE stand-in holds it. */
import type { LineStandIn } from "../line-stand-in/mod.ts";
import { json } from "./http.ts";

export interface RichMenuView {
  richMenuId: string;
  size: { width: number; height: number };
  chatBarText: string;
  /** Shown open when the chat opens. */
  selected: boolean;
  areas: Array<{ bounds: Record<string, number>; action: Record<string, unknown> }>;
}

/** The menus of the channel the simulator sends to (each channel has its own, as at LINE). */
export class RichMenus {
  constructor(
    private readonly standIn: LineStandIn,
    private readonly channel: () => string,
  ) {}

  /** The menu linked to the user, else the default; null when there is none. */
  shownTo(userId: string): RichMenuView | null {
    const stored = this.standIn.richMenuOf(userId, this.channel());
    if (stored === undefined) return null;
    const { size, chatBarText, selected, areas } = stored.menu as Omit<RichMenuView, "richMenuId">;
    return { richMenuId: stored.richMenuId, size, chatBarText, selected, areas };
  }

  /** The menu's image, as the bot uploaded it. */
  image(userId: string, richMenuId: string): Response {
    const stored = this.standIn.richMenuOf(userId, this.channel());
    if (stored?.richMenuId !== richMenuId || stored.image === undefined)
      return json(404, { error: "no such rich menu image" });
    const { bytes, contentType } = stored.image;
    return new Response(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: contentType }), {
      headers: { "cache-control": "no-store" },
    });
  }
}
