/**
 * Local mode: with no LINE credentials, `bun run start` runs the bot against a stand-in for the
 * LINE Platform on loopback, with a fresh channel secret and the chat simulator at /dev, so a
 * newcomer can post signed events and watch the replies. Composed here, outside the runtime.
 */
import { createHmac, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { ChannelSection, ChannelSpec } from "../config/channels.ts";
import type { LineChannel } from "../config/line-channel.ts";
import { checkLocalModeHost, isLoopback } from "../config/local-mode-host.ts";
import { type Hotline, type HotlineOptions, startHotline } from "../hotline.ts";
import { createLogger, type Logger } from "../logging/logger.ts";
import { platform, type RunningServer } from "../platform/mod.ts";
import { LineStandIn } from "./line-stand-in/mod.ts";
import { Simulator } from "./simulator/simulator.ts";

export const LOCAL_ACCESS_TOKEN = "local-mode-access-token";

/** Plugin settings local mode starts from, under the config file's: the demo features. */
const LOCAL_DEFAULT_SETTINGS = { "account-link": { demo: true } };

/** What `bun run send` needs to sign and post events to a bot running in local mode. */
export interface LocalModeFile {
  channelSecret: string;
  webhookUrl: string;
  botUserId: string;
}

export function localModeFile(dataDir: string): string {
  return join(dataDir, "local-mode.json");
}

export function readLocalModeFile(dataDir: string): LocalModeFile {
  return JSON.parse(readFileSync(localModeFile(dataDir), "utf8")) as LocalModeFile;
}

function writeLocalModeFile(dataDir: string, file: LocalModeFile): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // Written aside and renamed, so a reader never sees half a file. A leftover aside file is
  // removed first: the mode applies only to a file being created, and this one holds the secret.
  const target = localModeFile(dataDir);
  rmSync(`${target}.tmp`, { force: true });
  writeFileSync(`${target}.tmp`, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${target}.tmp`, target);
}

/**
 * The secret generated at an earlier start, kept: the channel is the same, so postback data the
 * bot signed before (a rich menu's, a button in the simulator's history) still verifies.
 */
function keptSecret(dataDir: string): string | undefined {
  try {
    const { channelSecret } = readLocalModeFile(dataDir);
    return /^[0-9a-f]{32}$/.test(channelSecret) ? channelSecret : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The config file's channels in local mode: no variables to read, a secret derived from the
 * default one (the same at every start, so the simulator and old postbacks keep working), and a
 * token of their own at the stand-in.
 */
export function localChannels(
  standIn: LineStandIn,
  defaultSecret: string,
): (sections: Record<string, ChannelSection>) => ChannelSpec[] {
  return (sections) =>
    Object.entries(sections).map(([name, section]) => {
      const token = `${LOCAL_ACCESS_TOKEN}-${name}`;
      standIn.tokens.add({ name, accessToken: token });
      return {
        name,
        channelSecret: localChannelSecret(defaultSecret, name),
        token: { kind: "long-lived", token },
        plugins: section.plugins,
      };
    });
}

export function localChannelSecret(defaultSecret: string, channel: string): string {
  return createHmac("sha256", defaultSecret)
    .update(`channel:${channel}`)
    .digest("hex")
    .slice(0, 32);
}

/** The stand-in's server, logging what the bot sends so a terminal shows the conversation. */
function serveStandIn(standIn: LineStandIn, log: Logger): RunningServer {
  return platform.serve({
    hostname: "127.0.0.1",
    port: 0,
    maxRequestBodySize: 16 * 1024 * 1024,
    fetch: async (request) => {
      const response = await standIn.fetch(request);
      const recorded = standIn.requests.at(-1);
      const sent = recorded?.path.endsWith("/reply") || recorded?.path.endsWith("/push");
      if (recorded && sent && recorded.status < 300) {
        const body = recorded.body as {
          to?: string;
          messages?: Array<{ type: string; text?: string }>;
        };
        const verb = recorded.path.endsWith("/reply") ? "replied" : "pushed";
        for (const message of body.messages ?? []) {
          const fields = { to: body.to, type: message.type, text: message.text };
          log.info(fields, `LINE stand-in: bot ${verb}`);
        }
      }
      return response;
    },
  });
}

export interface LocalHotline {
  hotline: Hotline;
  standIn: LineStandIn;
  channelSecret: string;
  simulatorUrl: string;
  stop(): Promise<void>;
}

/** Starts hotline in local mode: the stand-in, the bot against it, the simulator at /dev. */
export async function startLocalHotline(
  options: Omit<HotlineOptions, "line" | "devTools">,
): Promise<LocalHotline> {
  checkLocalModeHost(options.env);
  const log = options.log ?? createLogger(options.env.LOG_LEVEL);
  const dataDir = resolve(options.env.DATA_DIR);
  const standIn = new LineStandIn({
    channelAccessToken: LOCAL_ACCESS_TOKEN,
    strictReplyTokens: false,
    // The bot remembers the rich menus it made (in DATA_DIR): the stand-in must too.
    richMenuFile: join(dataDir, "local-mode-rich-menus.json"),
  });
  const server = serveStandIn(standIn, log);
  const line: LineChannel = {
    channelSecret: keptSecret(dataDir) ?? randomBytes(16).toString("hex"),
    channelAccessToken: LOCAL_ACCESS_TOKEN,
    apiBaseUrl: server.url,
    dataApiBaseUrl: server.url,
  };
  log.warn(
    { lineStandIn: server.url },
    "LOCAL MODE: no LINE credentials set; using a generated channel secret (kept in DATA_DIR) and a built-in LINE stand-in",
  );
  if (options.env.HOST !== undefined && !isLoopback(options.env.HOST))
    log.warn(
      { host: options.env.HOST },
      "LOCAL MODE IS PUBLIC (LOCAL_MODE_PUBLIC): anyone who reaches this host can make the bot act on any event through /dev",
    );
  let hotline: Hotline;
  try {
    hotline = await startHotline({
      ...options,
      tuning: {
        ...options.tuning,
        defaultSettings: { ...LOCAL_DEFAULT_SETTINGS, ...options.tuning?.defaultSettings },
      },
      log,
      line,
      resolveChannels: localChannels(standIn, line.channelSecret),
      devTools: (bot) => {
        const simulator = new Simulator({
          standIn,
          channelSecret: line.channelSecret,
          bot,
          webhookPath: options.env.WEBHOOK_PATH,
          log,
          channels: {
            names: () => bot.channels().filter((name) => name !== "default"),
            secretOf: (name) =>
              bot.channels().includes(name)
                ? localChannelSecret(line.channelSecret, name)
                : undefined,
          },
        });
        return {
          routes: simulator.routes(),
          maxBodyBytes: Simulator.MAX_UPLOAD_BYTES,
          listening(url) {
            simulator.allow(url);
            // Also the names the operator gives the bot: its public URL, its HOST.
            if (options.env.PUBLIC_URL) simulator.allow(options.env.PUBLIC_URL);
            const host = options.env.HOST;
            if (host && host !== "0.0.0.0" && host !== "::")
              simulator.allow(
                `http://${host.includes(":") ? `[${host}]` : host}:${new URL(url).port}`,
              );
            const webhookUrl = `${url}${options.env.WEBHOOK_PATH}`;
            writeLocalModeFile(dataDir, {
              channelSecret: line.channelSecret,
              webhookUrl,
              botUserId: standIn.botUserId,
            });
          },
          stop: () => simulator.stop(),
        };
      },
    });
  } catch (error) {
    await server.stop();
    throw error;
  }
  const simulatorUrl = `${hotline.url}${Simulator.PATH}`;
  log.info(
    { simulator: simulatorUrl },
    `chat with the bot: open ${simulatorUrl} (a LINE chat simulator; local mode only)`,
  );
  log.info(`or from a terminal: bun run send "hello"   (signs and posts a text event)`);
  return {
    hotline,
    standIn,
    channelSecret: line.channelSecret,
    simulatorUrl,
    async stop() {
      await hotline.stop();
      await server.stop();
    },
  };
}
