import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "../logging/logger.ts";
import type { RunningServer } from "../platform/mod.ts";
import { platform } from "../platform/mod.ts";
import { LineStandIn } from "./line-stand-in/mod.ts";

export const LOCAL_ACCESS_TOKEN = "local-mode-access-token";

export interface LocalMode {
  channelSecret: string;
  channelAccessToken: string;
  standIn: LineStandIn;
  server: RunningServer;
}

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

/**
 * With no LINE credentials the bot runs against a stand-in for the LINE Platform on loopback,
 * with a fresh channel secret, so a newcomer can post signed events and watch the replies.
 */
export function startLocalMode(log: Logger): LocalMode {
  const channelSecret = randomBytes(16).toString("hex");
  const standIn = new LineStandIn({
    channelAccessToken: LOCAL_ACCESS_TOKEN,
    strictReplyTokens: false,
  });
  const server = platform.serve({
    hostname: "127.0.0.1",
    port: 0,
    maxRequestBodySize: 16 * 1024 * 1024,
    fetch: async (request) => {
      const response = await standIn.fetch(request);
      const recorded = standIn.requests.at(-1);
      if (
        recorded &&
        (recorded.path.endsWith("/reply") || recorded.path.endsWith("/push")) &&
        recorded.status < 300
      ) {
        const body = recorded.body as {
          to?: string;
          messages?: Array<{ type: string; text?: string }>;
        };
        for (const message of body.messages ?? []) {
          log.info(
            { to: body.to, type: message.type, ...(message.text ? { text: message.text } : {}) },
            `LINE stand-in: bot ${recorded.path.endsWith("/reply") ? "replied" : "pushed"}`,
          );
        }
      }
      return response;
    },
  });
  return { channelSecret, channelAccessToken: LOCAL_ACCESS_TOKEN, standIn, server };
}

export function writeLocalModeFile(dataDir: string, file: LocalModeFile): void {
  mkdirSync(dataDir, { recursive: true });
  // Written aside and renamed, so a reader never sees half a file.
  const target = localModeFile(dataDir);
  writeFileSync(`${target}.tmp`, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${target}.tmp`, target);
}
