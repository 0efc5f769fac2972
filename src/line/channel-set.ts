/**
 * The LINE channels one runtime serves, each with its own secret, token and client; the
 * environment's is `default`. Changed as a whole from the config file while running: a channel
 * whose section did not change keeps its client (and its issued token).
 */
import type { ChannelSpec, TokenKind } from "../config/channels.ts";
import { DEFAULT_CHANNEL } from "../core/channel.ts";
import type { AccessToken } from "./access-token.ts";
import type { LineClient } from "./client.ts";

export interface ServedChannel {
  readonly name: string;
  readonly channelSecret: string;
  /** Which plugins its events go to; undefined: every plugin. */
  readonly plugins: readonly string[] | undefined;
  readonly tokenKind: TokenKind;
  readonly token: AccessToken;
  readonly client: LineClient;
}

/** A channel a send names is not (or no longer) served: the send fails, and is retried. */
export class UnknownChannelError extends Error {
  override name = "UnknownChannelError";
}

export interface ChannelChange {
  added: string[];
  removed: string[];
  changed: string[];
}

export class ChannelSet {
  readonly #make: (spec: ChannelSpec) => ServedChannel;
  readonly #channels = new Map<string, { served: ServedChannel; spec: string }>();
  readonly #listeners = new Set<(change: ChannelChange) => void>();

  constructor(make: (spec: ChannelSpec) => ServedChannel, specs: ChannelSpec[]) {
    this.#make = make;
    this.apply(specs);
  }

  get(name: string): ServedChannel | undefined {
    return this.#channels.get(name)?.served;
  }

  names(): string[] {
    return [...this.#channels.keys()];
  }

  /** The channel's client; throws when the channel is not served. */
  client(name: string): LineClient {
    const channel = this.get(name);
    if (!channel) throw new UnknownChannelError(`no LINE channel "${name}" is configured`);
    return channel.client;
  }

  /** Whether `plugin` runs for the channel's events. */
  runs(name: string, plugin: string): boolean {
    const plugins = this.get(name)?.plugins;
    return plugins === undefined || plugins.includes(plugin);
  }

  /** Serves exactly `specs` from now on (the default channel stays whatever they say). */
  apply(specs: ChannelSpec[]): ChannelChange {
    const change: ChannelChange = { added: [], removed: [], changed: [] };
    const wanted = new Map(specs.map((spec) => [spec.name, spec]));
    for (const name of [...this.#channels.keys()]) {
      if (wanted.has(name) || name === DEFAULT_CHANNEL) continue;
      this.#channels.delete(name);
      change.removed.push(name);
    }
    for (const [name, spec] of wanted) {
      const text = JSON.stringify(spec);
      const current = this.#channels.get(name);
      if (current?.spec === text) continue;
      this.#channels.set(name, { served: this.#make(spec), spec: text });
      (current ? change.changed : change.added).push(name);
    }
    const changed = change.added.length + change.removed.length + change.changed.length > 0;
    if (changed) for (const listener of this.#listeners) listener(change);
    return change;
  }

  onChange(listener: (change: ChannelChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
