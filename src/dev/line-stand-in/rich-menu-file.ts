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

/** The default channel's menus, and (since there are several) the other channels'. */
interface SavedFile extends Saved {
  channels?: Record<string, Saved>;
}

/** Loads what the file holds into each channel's state; a missing or unreadable file: none. */
export function loadRichMenus(stateOf: (channel: string) => RichMenuState, file: string): void {
  if (!existsSync(file)) return;
  let saved: SavedFile;
  try {
    saved = JSON.parse(readFileSync(file, "utf8")) as SavedFile;
  } catch {
    return;
  }
  load(stateOf("default"), saved);
  for (const [channel, menus] of Object.entries(saved.channels ?? {}))
    load(stateOf(channel), menus);
}

function load(state: RichMenuState, saved: Saved): void {
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

/** Writes every channel's state to the file, whole, aside first so that a reader never sees half of it. */
export function saveRichMenus(states: Array<[string, RichMenuState]>, file: string): void {
  const channels = Object.fromEntries(
    states
      .filter(([channel]) => channel !== "default")
      .map(([channel, state]) => [channel, saved(state)]),
  );
  const [, own] = states.find(([channel]) => channel === "default") ?? [];
  const whole: SavedFile = {
    ...(own ? saved(own) : { menus: [], links: [], aliases: [] }),
    ...(Object.keys(channels).length > 0 ? { channels } : {}),
  };
  const aside = `${file}.tmp`;
  rmSync(aside, { force: true });
  writeFileSync(aside, JSON.stringify(whole), { mode: 0o600 });
  renameSync(aside, file);
}

function saved(state: RichMenuState): Saved {
  return {
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
}
