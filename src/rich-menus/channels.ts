/**
 * The plugins' rich menus in every LINE channel served: a plugin's menus are synced to each
 * channel that runs it, with that channel's client and token, and recorded under that channel
 * (each channel has its menus, aliases, default and users of its own at LINE). A channel added
 * while running gets the menus of the plugins it runs; a removed one is no longer synced (its
 * menus stay at LINE, and its records here, for when it comes back).
 */
import { DEFAULT_CHANNEL } from "../core/channel.ts";
import type { Clock } from "../core/clock.ts";
import type { ChannelChange, ChannelSet } from "../line/channel-set.ts";
import type { Logger } from "../logging/logger.ts";
import type { RichMenuStore } from "../storage/rich-menus.ts";
import type { DeclaredRichMenu } from "./declared.ts";
import { RichMenuLine } from "./line-ops.ts";
import { type PlannedRichMenu, planRichMenus, RichMenuError } from "./plan.ts";
import { RichMenuSync } from "./sync.ts";

/** The channels served, and which plugins each runs. */
export interface MenuChannels {
  names(): string[];
  runs(channel: string, plugin: string): boolean;
}

export interface ChannelRichMenusOptions {
  channels: MenuChannels;
  /**
   * A sync for the channel with its current client (undefined: the channel is not served), to
   * begin once `after` (the work of the channel's previous sync, if any) has ended.
   */
  open(channel: string, after: Promise<unknown> | undefined): RichMenuSync | undefined;
}

export class ChannelRichMenus {
  readonly #o: ChannelRichMenusOptions;
  /**
   * The menus of each plugin whose version serves, images included: a channel added later is
   * synced from them without asking the plugin again.
   */
  readonly #planned = new Map<string, PlannedRichMenu[]>();
  readonly #syncs = new Map<string, RichMenuSync>();
  /** What the syncs of removed or replaced channels still do, by channel. */
  readonly #retired = new Map<string, Promise<void>>();

  constructor(options: ChannelRichMenusOptions) {
    this.#o = options;
    for (const channel of options.channels.names()) this.#open(channel);
  }

  /**
   * A plugin's declaration checked as LINE would check it, and against what the other plugins
   * declare (an alias, the default), whichever channels run them; throws a RichMenuError that
   * fails the plugin's load.
   */
  plan(plugin: string, declared: DeclaredRichMenu[]): PlannedRichMenu[] {
    const planned = planRichMenus(plugin, declared);
    const conflicts: string[] = [];
    for (const menu of planned) {
      const alias = menu.alias;
      const owner = alias && this.#owner(plugin, (other) => other.alias === alias);
      if (owner) conflicts.push(`rich menu "${menu.name}": alias "${alias}" is plugin ${owner}'s`);
      const holder = menu.default && this.#owner(plugin, (other) => other.default);
      if (holder)
        conflicts.push(`rich menu "${menu.name}": plugin ${holder} declares the default already`);
    }
    if (conflicts.length > 0) throw new RichMenuError(conflicts.join("; "));
    return planned;
  }

  /**
   * The plugin's version about to serve: its menus synced to every channel that runs it, and
   * taken from those that do not (any it had there before their `plugins` changed).
   */
  async sync(plugin: string, planned: PlannedRichMenu[]): Promise<void> {
    this.#planned.set(plugin, planned);
    const { channels } = this.#o;
    await Promise.all(
      [...this.#syncs].map(([channel, sync]) =>
        channels.runs(channel, plugin) ? sync.sync(plugin, planned) : sync.drop(plugin),
      ),
    );
  }

  /** The plugin is gone: its menus go, in every channel. */
  async drop(plugin: string): Promise<void> {
    this.#planned.delete(plugin);
    await Promise.all([...this.#syncs.values()].map((sync) => sync.drop(plugin)));
  }

  /**
   * In each channel, the menus of plugins it does not run (not loaded, or not among its
   * `plugins`) are deleted. Only call it when every plugin file loaded (see `RichMenuSync`).
   */
  async collect(loaded: ReadonlySet<string>): Promise<void> {
    const { channels } = this.#o;
    await Promise.all(
      [...this.#syncs].map(([channel, sync]) =>
        sync.collect(new Set([...loaded].filter((plugin) => channels.runs(channel, plugin)))),
      ),
    );
  }

  /** Shows the plugin's menu `name` to the user, in the channel (the event's) they are a user of. */
  async link(plugin: string, userId: string, name: string, channel: string): Promise<void> {
    await this.#syncOf(plugin, channel).link(plugin, userId, name);
  }

  /** Takes the plugin's menu away from the user, in the channel; false when it was not theirs. */
  async unlink(plugin: string, userId: string, channel: string): Promise<boolean> {
    return await this.#syncOf(plugin, channel).unlink(plugin, userId);
  }

  /**
   * The channels changed: a removed one is synced no more; an added one, or one whose section
   * changed (its token, its plugins), is synced with its current client from the menus known.
   */
  channelsChanged(change: ChannelChange): void {
    for (const channel of [...change.removed, ...change.changed]) this.#retire(channel);
    for (const channel of [...change.added, ...change.changed]) {
      const sync = this.#open(channel);
      if (!sync) continue;
      for (const [plugin, planned] of this.#planned) {
        if (this.#o.channels.runs(channel, plugin)) void sync.sync(plugin, planned);
        else void sync.drop(plugin);
      }
    }
  }

  /** Resolves once what was asked so far is done, in every channel (the host stops after it). */
  async idle(): Promise<void> {
    await Promise.all([
      ...[...this.#syncs.values()].map((sync) => sync.idle()),
      ...this.#retired.values(),
    ]);
  }

  #syncOf(plugin: string, channel: string): RichMenuSync {
    const sync = this.#syncs.get(channel);
    if (!sync) throw new Error(`no LINE channel "${channel}" is configured`);
    if (!this.#o.channels.runs(channel, plugin))
      throw new Error(
        `channel "${channel}" does not run plugin ${plugin}: its rich menus are not there`,
      );
    return sync;
  }

  #open(channel: string): RichMenuSync | undefined {
    const sync = this.#o.open(channel, this.#retired.get(channel));
    if (sync) this.#syncs.set(channel, sync);
    return sync;
  }

  #retire(channel: string): void {
    const sync = this.#syncs.get(channel);
    if (!sync) return;
    this.#syncs.delete(channel);
    const before = this.#retired.get(channel);
    const done = Promise.all([before, sync.idle()]).then(() => undefined);
    this.#retired.set(channel, done);
  }

  /** Another plugin whose version serves, and whose menus match. */
  #owner(plugin: string, match: (menu: PlannedRichMenu) => boolean): string | undefined {
    for (const [other, menus] of this.#planned)
      if (other !== plugin && menus.some(match)) return other;
    return undefined;
  }
}

/**
 * A sync per channel served, each on the channel's own client (its token, retries, limiter and
 * metrics) and its records; following the channels as the config file changes them.
 */
export function channelRichMenus(parts: {
  /** The default channel's records (`of` gives the others'). */
  store: RichMenuStore;
  channels: ChannelSet;
  clock: Clock;
  log: Logger;
}): ChannelRichMenus {
  const { store, channels, clock, log } = parts;
  const menus = new ChannelRichMenus({
    channels,
    open: (channel, after) => {
      const served = channels.get(channel);
      if (!served) return undefined;
      const own = channel === DEFAULT_CHANNEL;
      return new RichMenuSync({
        store: own ? store : store.of(channel),
        line: new RichMenuLine(served.client),
        clock,
        log: own ? log : log.child({ channel }),
        ...(after ? { after } : {}),
      });
    },
  });
  channels.onChange((change) => menus.channelsChanged(change));
  return menus;
}
