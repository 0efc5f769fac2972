/**
 * The rich menus plugins declare, kept in sync with one LINE channel by the host (plugins never
 * hold the channel's token): synced before a plugin's version serves, deleted when no plugin
 * declares them any more, and linked to users on a plugin's word. `channels.ts` runs one per
 * channel.
 */
import { HTTPFetchError } from "@line/bot-sdk";
import type { Clock } from "../core/clock.ts";
import { describeError } from "../line/client.ts";
import type { Logger } from "../logging/logger.ts";
import type { RichMenuStore } from "../storage/rich-menus.ts";
import { PROBE, realEffects, WouldChange } from "./effects.ts";
import type { RichMenuLine } from "./line-ops.ts";
import { type DeclaredMenu, declaredMenu, type PlannedRichMenu } from "./plan.ts";
import { type ReconcileParts, reconcile } from "./reconcile.ts";

export interface RichMenuSyncOptions {
  store: RichMenuStore;
  line: RichMenuLine;
  clock: Clock;
  log: Logger;
  /** Work that must end before this sync's begins (an earlier sync of the same channel's). */
  after?: Promise<unknown>;
}

/**
 * One sync, drop or link at a time in this process; across the instances of a bot, the store's
 * `exclusive` lock keeps creations and deletions one at a time (a link needs no lock: LINE keeps
 * one menu per user, and the last link wins there as in the store).
 */
export class RichMenuSync {
  readonly #o: RichMenuSyncOptions;
  /** The menus of each plugin synced here, without their images: what names resolve against. */
  readonly #declared = new Map<string, DeclaredMenu[]>();
  readonly #parts: ReconcileParts;
  #queue: Promise<unknown>;

  constructor(options: RichMenuSyncOptions) {
    this.#o = options;
    this.#queue = options.after?.catch(() => undefined) ?? Promise.resolve();
    this.#parts = {
      store: options.store,
      log: options.log,
      claimedElsewhere: (plugin, claim) => this.#claimedElsewhere(plugin, claim),
    };
  }

  /**
   * Brings LINE to the declaration of the plugin's version about to serve. LINE failing is logged,
   * not thrown: the plugin runs without its new menus, and its next load tries again.
   */
  sync(plugin: string, planned: PlannedRichMenu[]): Promise<void> {
    return this.#serial(async () => {
      this.#declared.set(plugin, planned.map(declaredMenu));
      await this.#apply(plugin, planned);
    });
  }

  /** The plugin is gone (its file removed, or renamed): its menus go too. */
  drop(plugin: string): Promise<void> {
    return this.#serial(async () => {
      this.#declared.delete(plugin);
      await this.#apply(plugin, []);
    });
  }

  /**
   * The menus of plugins that are not loaded (removed while the bot was down) are deleted. Only
   * call it when every plugin file loaded: a file that failed may be one of theirs.
   */
  collect(loaded: ReadonlySet<string>): Promise<void> {
    return this.#serial(async () => {
      let owners: Set<string>;
      try {
        owners = new Set((await this.#o.store.records()).map((record) => record.plugin));
      } catch (error) {
        this.#o.log.error({ error: describeError(error) }, "rich menus of removed plugins kept");
        return;
      }
      for (const plugin of owners) if (!loaded.has(plugin)) await this.#apply(plugin, []);
    });
  }

  /** Shows the plugin's menu `name` to the user. */
  link(plugin: string, userId: string, name: string): Promise<void> {
    return this.#serial(async () => {
      const menu = this.#menu(plugin, name);
      const records = await this.#o.store.records();
      const record = records.find(
        (r) => r.plugin === plugin && r.contentHash === menu.hash && r.imageUploaded,
      );
      if (!record)
        throw new Error(
          `rich menu "${name}" is not at LINE: its sync failed (the log says why); the plugin's next load tries again`,
        );
      await this.#o.store.link(userId, { plugin, name }, this.#o.clock.now());
      try {
        await this.#o.line.link(userId, record.richMenuId);
      } catch (error) {
        if (!(error instanceof HTTPFetchError && error.status === 404)) throw error;
        // Deleted at LINE by someone else: forgotten here, so that the next load makes it again.
        await this.#o.store.remove(record.richMenuId);
        throw new Error(
          `rich menu "${name}" is gone at LINE (deleted outside hotline): the plugin's next load makes it again`,
        );
      }
    });
  }

  /** Takes the plugin's menu away from the user; false when the user's menu is not the plugin's. */
  unlink(plugin: string, userId: string): Promise<boolean> {
    return this.#serial(async () => {
      const link = await this.#o.store.linkOf(userId);
      if (link?.plugin !== plugin) return false;
      await this.#o.line.unlink(userId);
      await this.#o.store.unlink(userId);
      return true;
    });
  }

  /** Resolves once what was asked so far is done (the host stops after it). */
  async idle(): Promise<void> {
    await this.#queue.catch(() => undefined);
  }

  #menu(plugin: string, name: string): DeclaredMenu {
    const declared = this.#declared.get(plugin) ?? [];
    const menu = declared.find((m) => m.name === name);
    if (menu) return menu;
    const names = declared.map((m) => `"${m.name}"`).join(", ");
    throw new Error(
      `plugin ${plugin} declares no rich menu "${name}" (${names ? `it declares ${names}` : "it declares none"})`,
    );
  }

  /** Another loaded plugin whose menus match. */
  #owner(plugin: string, match: (menu: DeclaredMenu) => boolean): string | undefined {
    for (const [other, menus] of this.#declared)
      if (other !== plugin && menus.some(match)) return other;
    return undefined;
  }

  #claimedElsewhere(plugin: string, claim: { alias: string } | "default"): boolean {
    const match =
      claim === "default"
        ? (menu: DeclaredMenu) => menu.default
        : (menu: DeclaredMenu) => menu.alias === claim.alias;
    return this.#owner(plugin, match) !== undefined;
  }

  async #apply(plugin: string, planned: PlannedRichMenu[]): Promise<void> {
    const { store, line, clock, log } = this.#o;
    try {
      if (await this.#settled(plugin, planned)) return;
      const fx = realEffects(line, store, () => clock.now());
      await store.exclusive(() => reconcile(this.#parts, fx, plugin, planned));
      log.info({ plugin, richMenus: planned.length }, "rich menus synced with LINE");
    } catch (error) {
      log.error(
        { plugin, error: describeError(error) },
        "rich menus not synced with LINE; the plugin's next load tries again",
      );
    }
  }

  /** Usually nothing is to be done: found out without the lock, and without calling LINE. */
  async #settled(plugin: string, planned: PlannedRichMenu[]): Promise<boolean> {
    try {
      await reconcile(this.#parts, PROBE, plugin, planned);
      return true;
    } catch (error) {
      if (error instanceof WouldChange) return false;
      throw error;
    }
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
