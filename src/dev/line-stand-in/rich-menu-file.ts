/**
 * The stand-in's rich menus kept in a file, as LINE keeps them across a bot's restarts: local
 * mode starts a fresh stand-in each time, and the bot's records of the menus it made (in
 * DATA_DIR) must still name menus that exist.
 */

import { Buffer } from "node:buffer";
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import type { RichMenuState } from "./rich-menu-state.ts";

interface SavedMenu {
  richMenuId: string;
  menu: Record<string, unknown>;
  image?: { contentType: string; base64: string };
}

interface Saved {
  menus: SavedMenu[];
  links: Array<[string, string]>;
  aliases: Array<[string, string]>;
  defaultId?: string;
}

/** Loads what the file holds into `state`; a missing or unreadable file leaves it empty. */
export function loadRichMenus(state: RichMenuState, file: string): void {
  if (!existsSync(file)) return;
  let saved: Saved;
  try {
    saved = JSON.parse(readFileSync(file, "utf8")) as Saved;
  } catch {
    return;
  }
  for (const { richMenuId, menu, image } of saved.menus) {
    const bytes = image && new Uint8Array(Buffer.from(image.base64, "base64"));
    state.menus.set(richMenuId, {
      richMenuId,
      menu,
      ...(image && bytes ? { image: { bytes, contentType: image.contentType } } : {}),
    });
  }
  for (const [userId, richMenuId] of saved.links) state.links.set(userId, richMenuId);
  for (const [alias, richMenuId] of saved.aliases) state.aliases.set(alias, richMenuId);
  state.defaultId = saved.defaultId;
}

/** Writes `state` to the file, whole, aside first so that a reader never sees half of it. */
export function saveRichMenus(state: RichMenuState, file: string): void {
  const saved: Saved = {
    menus: [...state.menus.values()].map(({ richMenuId, menu, image }) => ({
      richMenuId,
      menu,
      ...(image
        ? {
            image: {
              contentType: image.contentType,
              base64: Buffer.from(image.bytes).toString("base64"),
            },
          }
        : {}),
    })),
    links: [...state.links],
    aliases: [...state.aliases],
    ...(state.defaultId === undefined ? {} : { defaultId: state.defaultId }),
  };
  const aside = `${file}.tmp`;
  rmSync(aside, { force: true });
  writeFileSync(aside, JSON.stringify(saved), { mode: 0o600 });
  renameSync(aside, file);
}
