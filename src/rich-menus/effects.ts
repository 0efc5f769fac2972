/**
 * What a sync may change: LINE's rich menus and the host's records of them. A sync first runs
 * against the probe, which refuses every change: when it gets through, LINE already matches the
 * declaration, and nothing is locked or called (a restart, a reload that changed no menu).
 */
import type { ImageType } from "../line/image-size.ts";
import type { RichMenuLink, RichMenuRecord, RichMenuStore } from "../storage/rich-menus.ts";
import type { ListedMenu, RichMenuLine } from "./line-ops.ts";

export interface Effects {
  /** Only finds out whether anything would change (see `PROBE`). */
  readonly probe: boolean;
  list(): Promise<ListedMenu[]>;
  create(menu: Record<string, unknown>): Promise<string>;
  upload(richMenuId: string, image: Uint8Array, type: ImageType): Promise<void>;
  deleteMenu(richMenuId: string): Promise<void>;
  pointAlias(alias: string, richMenuId: string, known: boolean): Promise<void>;
  deleteAlias(alias: string): Promise<void>;
  setDefault(richMenuId: string): Promise<void>;
  clearDefault(richMenuId: string): Promise<void>;
  linkMany(userIds: string[], richMenuId: string): Promise<void>;
  save(record: RichMenuRecord): Promise<void>;
  remove(richMenuId: string): Promise<void>;
  dropLinks(link: RichMenuLink): Promise<void>;
}

/** The probe met a change it would have to make. */
export class WouldChange extends Error {
  override name = "WouldChange";
}

const wouldChange = async (): Promise<never> => {
  throw new WouldChange("the sync has work to do");
};

export const PROBE: Effects = {
  probe: true,
  list: wouldChange,
  create: wouldChange,
  upload: wouldChange,
  deleteMenu: wouldChange,
  pointAlias: wouldChange,
  deleteAlias: wouldChange,
  setDefault: wouldChange,
  clearDefault: wouldChange,
  linkMany: wouldChange,
  save: wouldChange,
  remove: wouldChange,
  dropLinks: wouldChange,
};

/** The changes made: at LINE with the host's client, in the store at the clock's time. */
export function realEffects(line: RichMenuLine, store: RichMenuStore, now: () => number): Effects {
  return {
    probe: false,
    list: () => line.list(),
    create: (menu) => line.create(menu),
    upload: (richMenuId, image, type) => line.upload(richMenuId, image, type),
    deleteMenu: (richMenuId) => line.delete(richMenuId),
    pointAlias: (alias, richMenuId, known) => line.pointAlias(alias, richMenuId, known),
    deleteAlias: (alias) => line.deleteAlias(alias),
    setDefault: (richMenuId) => line.setDefault(richMenuId),
    clearDefault: (richMenuId) => line.clearDefault(richMenuId),
    linkMany: (userIds, richMenuId) => line.linkMany(userIds, richMenuId),
    save: (record) => store.save(record, now()),
    remove: (richMenuId) => store.remove(richMenuId),
    dropLinks: (link) => store.dropLinks(link),
  };
}
