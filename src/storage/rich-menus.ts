/**
 * What the host created at LINE for the rich menus plugins declare, so that it can reuse them
 * (by content hash) across reloads and restarts, point aliases and the default at them, move the
 * users linked to one when it is replaced, and delete the ones nobody declares any more.
 */

/** One rich menu the host created at LINE. */
export interface RichMenuRecord {
  /** LINE's id for it. */
  richMenuId: string;
  /** The plugin that declares it, and its name there. */
  plugin: string;
  name: string;
  /** What it was made from (the menu object and the image): equal hashes, equal menus. */
  contentHash: string;
  /** Its image is at LINE (a menu without one cannot be shown). */
  imageUploaded: boolean;
  /** The alias the host pointed at it. */
  alias: string | null;
  /** The host made it the channel's default rich menu. */
  isDefault: boolean;
}

/** Whose menu a user was linked to by `ctx.richMenu.link`. */
export interface RichMenuLink {
  plugin: string;
  name: string;
}

/** The records of one LINE channel: each channel has its own menus at LINE, and its own users. */
export interface RichMenuStore {
  /** The same records of another channel (this store is the `default` channel's, or `of`'s). */
  of(channel: string): RichMenuStore;
  /**
   * Runs `work` while no other instance of the bot does: rich menus are created and deleted by one
   * instance at a time, so two loading the same plugin never both create its menus.
   */
  exclusive<T>(work: () => Promise<T>): Promise<T>;
  /** Every menu the host created in this store's channel. */
  records(): Promise<RichMenuRecord[]>;
  /** Inserts the record, or replaces the one with its `richMenuId`. */
  save(record: RichMenuRecord, now: number): Promise<void>;
  remove(richMenuId: string): Promise<void>;

  /** The user now sees the plugin's menu `name` (one per user: a link replaces the one before). */
  link(userId: string, link: RichMenuLink, now: number): Promise<void>;
  linkOf(userId: string): Promise<RichMenuLink | undefined>;
  unlink(userId: string): Promise<void>;
  /** Users linked to the plugin's menu `name`, by id, `limit` at a time, after `after`. */
  linkedUsers(link: RichMenuLink, limit: number, after?: string): Promise<string[]>;
  /** Forgets the links to the plugin's menu `name` (it was deleted: LINE dropped them too). */
  dropLinks(link: RichMenuLink): Promise<void>;
}
