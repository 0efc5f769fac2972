/** The rich menus of the channel: menus and their images, the default, per-user links, aliases. */

import { randomHex } from "./wire.ts";

export interface StoredRichMenu {
  richMenuId: string;
  /** The rich menu object as created. */
  menu: Record<string, unknown>;
  image?: { bytes: Uint8Array; contentType: string };
}

/** "You can create up to 1000 rich menus for one LINE Official Account with the Messaging API." */
export const MAX_RICH_MENUS = 1000;

/**
 * Kept consistent the way LINE keeps it: a link, the default or an alias always names a menu
 * that exists, and deleting a menu removes what pointed at it.
 */
export class RichMenuState {
  readonly menus = new Map<string, StoredRichMenu>();
  readonly links = new Map<string, string>();
  readonly aliases = new Map<string, string>();
  defaultId: string | undefined;

  create(menu: Record<string, unknown>): StoredRichMenu {
    const stored = { richMenuId: `richmenu-${randomHex(32)}`, menu };
    this.menus.set(stored.richMenuId, stored);
    return stored;
  }

  delete(richMenuId: string): boolean {
    if (!this.menus.delete(richMenuId)) return false;
    if (this.defaultId === richMenuId) this.defaultId = undefined;
    for (const [userId, linked] of this.links) if (linked === richMenuId) this.links.delete(userId);
    for (const [alias, target] of this.aliases)
      if (target === richMenuId) this.aliases.delete(alias);
    return true;
  }

  /** The menu a user sees: the one linked to them, else the default. */
  shownTo(userId: string): StoredRichMenu | undefined {
    const id = this.links.get(userId) ?? this.defaultId;
    return id === undefined ? undefined : this.menus.get(id);
  }
}
