/**
 * `bun run start`: reads the environment and starts hotline (in local mode when no LINE
 * credentials are set); stops cleanly on SIGINT/SIGTERM.
 */
import { channelsWithSecrets } from "./config/channels.ts";
import { ConfigFileError, readChannelSections } from "./config/config-file.ts";
import { ConfigError, parseEnv, unknownLineVariables } from "./config/env.ts";
import { lineChannelFrom } from "./config/line-channel.ts";
import { startHotline } from "./hotline.ts";
import { createLogger, type Logger } from "./logging/logger.ts";
import { StoreUnavailableError } from "./storage/postgres/connection.ts";

interface Running {
  log: Logger;
  stop(): Promise<void>;
}

async function start(): Promise<Running> {
  const env = parseEnv(process.env);
  const log = createLogger(env.LOG_LEVEL);
  if (lineChannelFrom(env)) return startHotline({ env, log });
  const named = channelsWithSecrets(readChannelSections(env.CONFIG_FILE), process.env);
  if (named.length > 0)
    throw new ConfigError(
      `channels ${named.join(", ")} have their secrets set but the default channel has none: set LINE_CHANNEL_SECRET and LINE_CHANNEL_ACCESS_TOKEN too (the default channel is served beside the config file's), or unset them all for local mode`,
    );
  const unknown = unknownLineVariables(process.env);
  if (unknown.length > 0)
    log.warn(
      { variables: unknown },
      "no LINE credentials, but variables named like them are set: a typo of LINE_CHANNEL_SECRET or LINE_CHANNEL_ACCESS_TOKEN?",
    );
  // The development tools are loaded only when they are used.
  const { startLocalHotline } = await import("./dev/local-mode.ts");
  const local = await startLocalHotline({ env, log });
  return { log, stop: () => local.stop() };
}

let running: Running | undefined;
let stopping = false;
// Registered before start-up, so a signal while plugins load still stops cleanly once they have.
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  if (!running) return;
  running.log.info({ signal }, "shutting down: finishing in-flight deliveries");
  await running.stop();
  process.exit(0);
};
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));

try {
  running = await start();
  if (stopping) {
    stopping = false;
    await shutdown("signal during start-up");
  }
} catch (error) {
  const fatal = [ConfigError, ConfigFileError, StoreUnavailableError];
  if (fatal.some((kind) => error instanceof kind)) {
    console.error(`hotline: ${(error as Error).message}`);
    process.exit(1);
  }
  throw error;
}
