import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type Env, parseEnv } from "../../config/env.ts";
import type { Tuning } from "../../config/options.ts";
import { ManualClock } from "../../core/clock.ts";
import type { Source } from "../../core/events.ts";
import { type Hotline, startHotline } from "../../hotline.ts";
import { createLogger, type Logger, silentLogger } from "../../logging/logger.ts";
import { platform, type RunningServer } from "../../platform/mod.ts";
import type { HostEvent } from "../../plugin-host/host.ts";
import type { PluginDatabase } from "../../sdk/database.ts";
import type { KeyValueStore } from "../../storage/plugin-state.ts";
import type {
  DeliveryRecord,
  InboxRecord,
  ScheduleQuery,
  ScheduleRecord,
} from "../../storage/store.ts";
import { signBody } from "../../webhook/signature.ts";
import { envelope } from "../events/mod.ts";
import type { FixtureInput } from "../fixtures/fixture.ts";
import type { LineStandIn } from "../line-stand-in/mod.ts";
import { testChannel } from "./channel.ts";
import { type TestChannelOptions, TestChannels } from "./channels.ts";
import { testDatabase } from "./database.ts";
import { pluginDatabase } from "./plugin-db.ts";
import { type PluginFilesView, pluginFiles } from "./plugin-files.ts";
import { linkedPluginsDir } from "./plugins-dir.ts";
import { type ReplayOptions, type ReplayResult, replayFixture } from "./replay.ts";
import { findAction, richMenuTapEvent, type TapOptions, tapEvent } from "./tap.ts";

/** The test kit's tuning: fast LINE retries, no watching, short grace and drain periods. */
const TEST_TUNING: Partial<Tuning> = {
  lineRetry: { retries: 3, baseDelayMs: 5, maxDelayMs: 50 },
  backoff: { baseDelayMs: 1000, maxDelayMs: 60_000 },
  watch: false,
  hangGraceMs: 300,
  drainMs: 2000,
  debounceMs: 50,
};

export interface TestBotOptions {
  /** Plugin files to load (each linked into a fresh plugins directory). */
  plugins?: Array<string | URL>;
  /** Or: an existing plugins directory, used as it is (see `createPluginsDir`). */
  pluginsDir?: string;
  /**
   * An existing data directory (database, files), used as it is and kept at stop: a second bot
   * started on it picks up what the first one left, as after a restart. Default: a fresh one.
   */
  dataDir?: string;
  /** Per-plugin settings: the `plugins` section of the config file. */
  settings?: Record<string, unknown>;
  /** Environment overrides (timeouts, concurrency…). */
  env?: Record<string, string>;
  /** Knobs that are not environment variables (see `Tuning`); the test kit's defaults above. */
  tuning?: Partial<Tuning>;
  /** The LINE to talk to, with what it holds (rich menus…): another bot's `line`. Default: fresh. */
  line?: LineStandIn;
  /** Print the bot's logs (also: HOTLINE_TEST_LOG=debug). */
  log?: boolean;
  /** The bot's logger, for a test that reads what the bot logs (instead of `log`). */
  logger?: Logger;
  /** Where the manual clock starts (ms since the epoch); default: the real time. */
  now?: number;
  /** LINE channels besides `default`, by name: each its own secret and token (`bot.channels`). */
  channels?: Record<string, TestChannelOptions>;
  /** On SQLite, even when the test process runs its bots on PostgreSQL (a replay's sandbox). */
  sqlite?: boolean;
}

export interface PostOptions {
  /** The signature header to send; `null` sends none. Default: a valid signature. */
  signature?: string | null;
  headers?: Record<string, string>;
}

/**
 * A real bot for tests: the real HTTP route, a real SQLite file in a temp directory, the real
 * plugin host, and a LINE stand-in on loopback. Time is a ManualClock: retries, cooldowns and
 * expiries move only when the test advances it.
 */
export class TestBot {
  readonly clock: ManualClock;
  readonly line: LineStandIn;
  readonly secret: string;
  readonly dataDir: string;
  readonly pluginsDir: string;
  /** The channels besides `default`: post to their webhooks, add and remove them while running. */
  readonly channels: TestChannels;
  readonly #cleanup: Array<() => void | Promise<void>>;
  readonly #lineServer: RunningServer;
  readonly #events: HostEvent[] = [];
  readonly #eventWaiters = new Set<() => void>();
  /** Starts the bot on this data: at first, and again at each restart. */
  readonly #boot: () => Promise<Hotline>;
  #hotline: Hotline;

  private constructor(parts: {
    clock: ManualClock;
    line: LineStandIn;
    lineServer: RunningServer;
    hotline: Hotline;
    boot: () => Promise<Hotline>;
    secret: string;
    dataDir: string;
    pluginsDir: string;
    channels: TestChannels;
    cleanup: Array<() => void | Promise<void>>;
  }) {
    this.clock = parts.clock;
    this.line = parts.line;
    this.#lineServer = parts.lineServer;
    this.#hotline = parts.hotline;
    this.#boot = parts.boot;
    this.secret = parts.secret;
    this.dataDir = parts.dataDir;
    this.pluginsDir = parts.pluginsDir;
    this.channels = parts.channels;
    this.channels.attach({
      webhookUrl: () => this.webhookUrl,
      reloadConfig: () =>
        this.hotline.plugins.reload([resolve(this.hotline.config.env.CONFIG_FILE)]),
    });
    this.#cleanup = parts.cleanup;
    this.#listen();
  }

  /** The running bot; a new one after `restart()`. */
  get hotline(): Hotline {
    return this.#hotline;
  }

  #listen(): void {
    this.#hotline.plugins.subscribe((event) => {
      this.#events.push(event);
      for (const wake of this.#eventWaiters) wake();
    });
  }

  static async start(options: TestBotOptions = {}): Promise<TestBot> {
    const clock = new ManualClock(options.now ?? Date.now());
    const cleanup: Array<() => void | Promise<void>> = [];
    const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "hotline-test-"));
    const database = options.sqlite
      ? { url: undefined, drop: async () => {} }
      : testDatabase(dataDir);
    if (!options.dataDir) {
      cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
      cleanup.push(() => database.drop());
    }

    let pluginsDir = options.pluginsDir;
    if (!pluginsDir) {
      const scratch = linkedPluginsDir(options.plugins ?? []);
      pluginsDir = scratch.dir;
      cleanup.push(scratch.remove);
    }
    const configFile = join(dataDir, "hotline.config.json");
    const { line, token, secret } = testChannel(options.line, () => clock.now());
    const channels = new TestChannels(line, configFile, options.settings ?? {});
    await channels.init(options.channels ?? {});
    const lineServer = platform.serve({
      hostname: "127.0.0.1",
      port: 0,
      maxRequestBodySize: 64 << 20,
      fetch: line.fetch,
    });
    cleanup.push(() => lineServer.stop());

    const env: Env = parseEnv({
      PORT: "0",
      HOST: "127.0.0.1",
      LINE_CHANNEL_SECRET: secret,
      LINE_CHANNEL_ACCESS_TOKEN: token,
      LINE_API_BASE_URL: lineServer.url,
      LINE_DATA_API_BASE_URL: lineServer.url,
      DATA_DIR: dataDir,
      PLUGINS_DIR: pluginsDir,
      CONFIG_FILE: configFile,
      REPLY_DEADLINE_MS: "1000",
      ...(database.url ? { DATABASE_URL: database.url } : {}),
      ...options.env,
    });
    const level = process.env.HOTLINE_TEST_LOG;
    const boot = () =>
      startHotline({
        env,
        clock,
        log:
          options.logger ??
          (options.log || level
            ? createLogger((level as Env["LOG_LEVEL"]) || "debug")
            : silentLogger),
        tuning: { ...TEST_TUNING, ...options.tuning },
        secrets: channels.secrets,
      });
    const hotline = await boot();
    const parts = { clock, line, lineServer, hotline, boot, secret, dataDir, pluginsDir, cleanup };
    return new TestBot({ ...parts, channels });
  }

  get url(): string {
    return this.hotline.url;
  }

  get webhookUrl(): string {
    return this.hotline.webhookUrl;
  }

  /** Posts raw bytes to the webhook, signed unless told otherwise. */
  post(body: string | Uint8Array<ArrayBuffer>, options: PostOptions = {}): Promise<Response> {
    const signature =
      options.signature === undefined ? signBody(this.secret, body) : options.signature;
    return fetch(this.webhookUrl, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(signature === null ? {} : { "x-line-signature": signature }),
        ...options.headers,
      },
      body,
    });
  }

  /**
   * Signs and posts events in one webhook request, as LINE would; their reply tokens become valid
   * at the stand-in. Resolves with the webhook's response (use `settle()` to await processing).
   */
  send(...events: object[]): Promise<Response> {
    // LINE knows what it sent: reply tokens, followers, who is in which group.
    this.line.observe(...events);
    return this.post(JSON.stringify(envelope(events)));
  }

  /** Sends and waits until every delivery that can run now has settled. */
  async deliver(...events: object[]): Promise<void> {
    const response = await this.send(...events);
    if (response.status !== 200)
      throw new Error(`webhook answered ${response.status}: ${await response.text()}`);
    await this.settle();
  }

  /** Resolves once no delivery or job run is running or due now, and reply counts are written. */
  async settle(): Promise<void> {
    const { dispatcher, scheduler } = this.hotline;
    // A delivery may schedule a job due at once, and a job's run settle after the deliveries.
    await dispatcher.idle();
    await scheduler.idle();
    await dispatcher.idle();
    await this.hotline.shadow?.runner.idle();
    await this.hotline.flush();
  }

  /** Moves the clock (retries, cooldowns, expiries, schedules) and lets due work run. */
  async advance(ms: number): Promise<void> {
    this.clock.advance(ms);
    this.hotline.dispatcher.wake();
    this.hotline.scheduler.wake();
    await this.settle();
  }

  /**
   * Stops the bot and starts it again on the same data (database, files) and clock, as a
   * process restart would; resolves once it is up and what was due meanwhile has run.
   */
  async restart(): Promise<void> {
    await this.#hotline.stop();
    this.#hotline = await this.#boot();
    this.#listen();
    await this.settle();
  }

  /**
   * Runs a plugin's recurring job (declared with `cron` or `every`) now, instead of waiting for
   * its time: its schedule is made due now, through the store, and the run awaited.
   */
  async runJob(plugin: string, job: string): Promise<void> {
    const { store } = this.hotline;
    const [record] = await store.listSchedules({ ids: [`${plugin}:@${job}`], limit: 1 });
    if (!record) throw new Error(`${plugin} has no recurring job "${job}"`);
    const { id, job: name, payload, cron, timeZone, everyMs, declared } = record;
    const now = this.clock.now();
    const spec = { id, plugin, job: name, payload, cron, timeZone, everyMs, declared };
    await store.writeSchedules([{ put: { ...spec, nextRunAt: now } }], now);
    await this.advance(0);
  }

  /** The stored schedules (all, or those the query selects), by id. */
  schedules(query: Partial<ScheduleQuery> = {}): Promise<ScheduleRecord[]> {
    return this.hotline.store.listSchedules({ limit: 10_000, ...query });
  }

  /** Messages replied to the event (by reply token). */
  repliesTo(event: { replyToken?: string | null }): unknown[] {
    return this.line.replies
      .filter((r) => r.replyToken === event.replyToken)
      .flatMap((r) => r.messages);
  }

  /** Messages pushed to a user, group or room. */
  pushesTo(to: string): unknown[] {
    return this.line.pushes.filter((p) => p.to === to).flatMap((p) => p.messages);
  }

  /** Texts of everything the bot sent (replies and pushes), in order. */
  sentTexts(): string[] {
    return [...this.line.replies, ...this.line.pushes]
      .flatMap((r) => r.messages as Array<{ type: string; text?: string }>)
      .filter((m) => m.type === "text")
      .map((m) => m.text ?? "");
  }

  /**
   * Taps the button labelled `label` in what the bot sent in answer to `answered` (its replies,
   * then its pushes to that chat, newest first): sends what LINE would (a postback with the
   * button's data, and `options.params` for a datetime picker; or the text of a message action)
   * from the same user and chat, through the signed webhook, and waits until it is handled.
   * Resolves with the event it sent.
   */
  async tap(
    answered: { replyToken?: string | null; source?: unknown },
    label: string,
    options: TapOptions = {},
  ) {
    const source = answered.source as Source | undefined;
    const chat =
      source &&
      ("groupId" in source ? source.groupId : "roomId" in source ? source.roomId : source.userId);
    const sent =
      options.message !== undefined
        ? [options.message]
        : [...this.repliesTo(answered), ...(chat ? this.pushesTo(chat).reverse() : [])];
    const tap = tapEvent(findAction(sent, label), source, options);
    await this.deliver(tap);
    return tap;
  }

  /** Taps the area labelled `label` of the rich menu `userId` sees, as `tap` does (tap.ts). */
  async tapRichMenu(userId: string, label: string) {
    const tap = richMenuTapEvent(this.line, userId, label);
    await this.deliver(tap);
    return tap;
  }

  /** Waits for the bot to reply to the event, and returns the messages. */
  waitForReply(event: { replyToken?: string | null }, timeoutMs = 5000): Promise<unknown[]> {
    return this.line.waitFor(
      () => {
        const messages = this.repliesTo(event);
        return messages.length > 0 ? messages : undefined;
      },
      { timeoutMs },
    );
  }

  /** Settles, then fails if anything was replied to the event or pushed to its chat. */
  async expectNoReply(event: { replyToken?: string | null; source?: unknown }): Promise<void> {
    await this.settle();
    const replied = this.repliesTo(event);
    const source = event.source as
      | { userId?: string; groupId?: string; roomId?: string }
      | undefined;
    const chat = source?.groupId ?? source?.roomId ?? source?.userId;
    const pushed = chat ? this.pushesTo(chat) : [];
    if (replied.length + pushed.length > 0) {
      throw new Error(
        `expected no reply, but the bot sent ${JSON.stringify([...replied, ...pushed])}`,
      );
    }
  }

  /** The delivery records of an event (or of all events). */
  deliveries(eventId?: string): Promise<DeliveryRecord[]> {
    return this.hotline.store.deliveriesOf(eventId);
  }

  /** The stored events (all, or these ids) as recorded: id, type, chat key, body, status… */
  storedEvents(ids?: readonly string[]): Promise<InboxRecord[]> {
    return this.hotline.store.inboxRecords(ids);
  }

  /** How many events are stored. */
  async storedCount(): Promise<number> {
    const counts = await this.hotline.store.eventCounts();
    return counts.pending + counts.active + counts.done;
  }

  /**
   * The plugins' tables, to read (or set up) in a test, on whichever store the bot runs:
   * `await bot.pluginDb.select().from(visits)`, with tables imported from the plugin's module.
   */
  get pluginDb(): PluginDatabase {
    return pluginDatabase(this.hotline.pluginState);
  }

  /** A plugin's key-value store, as its `ctx.kv`. */
  kv(plugin: string): KeyValueStore {
    return this.hotline.pluginState.kv(plugin);
  }

  /** A plugin's `ctx.files`, to look into: in the store on PostgreSQL, else in `dataDir`. */
  files(plugin: string): PluginFilesView {
    return pluginFiles(this.hotline.pluginState, this.dataDir, plugin);
  }

  /**
   * Plays a fixture's events (`export-fixture`) back through the webhook, one at a time, the
   * clock set to each event's time; resolves with what the loaded plugins sent beside what the
   * fixture says they sent: `expect(result.actual).toEqual(result.expected)`.
   */
  replay(fixture: FixtureInput, options?: ReplayOptions): Promise<ReplayResult> {
    return replayFixture(this, fixture, options);
  }

  /** Waits for a plugin host event (loaded, failed, unloaded) matching the predicate. */
  waitForPlugin(predicate: (event: HostEvent) => boolean, timeoutMs = 5000): Promise<HostEvent> {
    const seen = this.#events.length;
    return new Promise((resolvePromise, reject) => {
      const check = () => {
        const found = this.#events.slice(seen).find(predicate);
        if (!found) return;
        clearTimeout(timer);
        this.#eventWaiters.delete(check);
        resolvePromise(found);
      };
      const timer = setTimeout(() => {
        this.#eventWaiters.delete(check);
        reject(
          new Error(
            `no matching plugin event within ${timeoutMs} ms; saw ${JSON.stringify(this.#events.slice(seen))}`,
          ),
        );
      }, timeoutMs);
      this.#eventWaiters.add(check);
    });
  }

  async stop(): Promise<void> {
    await this.hotline.stop();
    for (const step of this.#cleanup.reverse()) await step();
  }
}

export function startTestBot(options?: TestBotOptions): Promise<TestBot> {
  return TestBot.start(options);
}
