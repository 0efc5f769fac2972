/**
 * A test bot's other LINE channels (besides `default`): each with a secret and a token of its own
 * at the stand-in, named in the config file by environment variables the bot is handed, as an
 * operator would set them. Channels can be added and removed while the bot runs.
 */
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import type { TokenKind } from "../../config/channels.ts";
import { signBody } from "../../webhook/signature.ts";
import { envelope } from "../events/mod.ts";
import type { LineStandIn } from "../line-stand-in/mod.ts";

export interface TestChannelOptions {
  /** How the bot has its token: given (default), or issued by it at the stand-in. */
  token?: TokenKind;
  /** The plugins the channel runs (`plugins` of its section); all by default. */
  plugins?: string[];
}

export interface TestChannel {
  name: string;
  secret: string;
  /** Its long-lived token, when it has one. */
  token: string | undefined;
  channelId: string | undefined;
  /** Its section of the config file. */
  section: Record<string, unknown>;
}

/** What the test bot lends its channels: where it is, and how to make it reread its config. */
export interface ChannelsHost {
  webhookUrl(): string;
  reloadConfig(): Promise<void>;
}

export class TestChannels {
  /** The environment the bot reads the channels' variables from: filled as channels are made. */
  readonly secrets: Record<string, string> = {};
  readonly #line: LineStandIn;
  readonly #configFile: string;
  readonly #plugins: Record<string, unknown>;
  readonly #channels = new Map<string, TestChannel>();
  #host: ChannelsHost | undefined;

  constructor(line: LineStandIn, configFile: string, plugins: Record<string, unknown>) {
    this.#line = line;
    this.#configFile = configFile;
    this.#plugins = plugins;
  }

  /** Makes the channels and writes the config file naming them (before the bot starts). */
  async init(channels: Record<string, TestChannelOptions>): Promise<void> {
    for (const [name, options] of Object.entries(channels)) await this.#make(name, options);
    this.#write();
  }

  attach(host: ChannelsHost): void {
    this.#host = host;
  }

  get(name: string): TestChannel {
    const channel = this.#channels.get(name);
    if (!channel) throw new Error(`the test bot has no channel "${name}"`);
    return channel;
  }

  webhookUrl(name: string): string {
    return `${this.#requireHost().webhookUrl()}/${name}`;
  }

  /** Posts raw bytes to the channel's webhook, signed with `secret` (default: the channel's). */
  post(name: string, body: string, secret = this.get(name).secret): Promise<Response> {
    return fetch(this.webhookUrl(name), {
      method: "POST",
      headers: { "content-type": "application/json", "x-line-signature": signBody(secret, body) },
      body,
    });
  }

  /** Signs and posts events to the channel's webhook, as LINE would for that channel. */
  send(name: string, ...events: object[]): Promise<Response> {
    this.#line.observe(...events);
    return this.post(name, JSON.stringify(envelope(events)));
  }

  /** Adds a channel while the bot runs: the config file changes, and the bot rereads it. */
  async add(name: string, options: TestChannelOptions = {}): Promise<TestChannel> {
    const channel = await this.#make(name, options);
    this.#write();
    await this.#requireHost().reloadConfig();
    return channel;
  }

  /** Removes a channel while the bot runs. */
  async remove(name: string): Promise<void> {
    this.#channels.delete(name);
    this.#write();
    await this.#requireHost().reloadConfig();
  }

  #requireHost(): ChannelsHost {
    if (!this.#host) throw new Error("the test bot has not started");
    return this.#host;
  }

  #write(): void {
    const channels = Object.fromEntries(
      [...this.#channels].map(([name, channel]) => [name, channel.section]),
    );
    writeFileSync(this.#configFile, JSON.stringify({ plugins: this.#plugins, channels }));
  }

  async #make(name: string, options: TestChannelOptions): Promise<TestChannel> {
    const kind = options.token ?? "long-lived";
    const prefix = `TEST_${name.toUpperCase().replace(/-/g, "_")}_`;
    const secret = randomBytes(16).toString("hex");
    const section: Record<string, unknown> = { secretEnv: `${prefix}SECRET` };
    this.secrets[`${prefix}SECRET`] = secret;
    if (options.plugins) section.plugins = options.plugins;
    let token: string | undefined;
    let channelId: string | undefined;
    if (kind === "long-lived") {
      token = `test-token-${name}-${randomBytes(4).toString("hex")}`;
      section.tokenEnv = `${prefix}TOKEN`;
      this.secrets[`${prefix}TOKEN`] = token;
      this.#line.tokens.add({ name, accessToken: token });
    } else {
      channelId = String(1_000_000_000 + randomBytes(3).readUIntBE(0, 3));
      Object.assign(section, { channelIdEnv: `${prefix}CHANNEL_ID`, token: kind });
      this.secrets[`${prefix}CHANNEL_ID`] = channelId;
      const assertionKey = kind === "v2.1" ? await this.#assertionKey(prefix, section) : undefined;
      this.#line.tokens.add({
        name,
        channelId,
        channelSecret: secret,
        ...(assertionKey ? { assertionKey } : {}),
      });
    }
    const channel = { name, secret, token, channelId, section };
    this.#channels.set(name, channel);
    return channel;
  }

  /** A fresh assertion signing key: the private half for the bot, the public one for LINE. */
  async #assertionKey(prefix: string, section: Record<string, unknown>) {
    const pair = await crypto.subtle.generateKey(
      {
        name: "RSASSA-PKCS1-v1_5",
        modulusLength: 2048,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: "SHA-256",
      },
      true,
      ["sign", "verify"],
    );
    const kid = randomBytes(8).toString("hex");
    this.secrets[`${prefix}ASSERTION_KEY`] = JSON.stringify(
      await crypto.subtle.exportKey("jwk", pair.privateKey),
    );
    this.secrets[`${prefix}ASSERTION_KEY_ID`] = kid;
    Object.assign(section, {
      assertionKeyEnv: `${prefix}ASSERTION_KEY`,
      assertionKeyIdEnv: `${prefix}ASSERTION_KEY_ID`,
    });
    return { kid, publicKey: await crypto.subtle.exportKey("jwk", pair.publicKey) };
  }
}
