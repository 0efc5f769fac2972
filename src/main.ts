/** `bun run start`: reads the environment, starts hotline, stops cleanly on SIGINT/SIGTERM. */
import { ConfigError, parseEnv } from "./config/env.ts";
import { ConfigFileError } from "./config/plugin-settings.ts";
import { startHotline } from "./hotline.ts";

try {
  const hotline = await startHotline({ env: parseEnv(process.env) });
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    hotline.log.info({ signal }, "shutting down: finishing in-flight deliveries");
    await hotline.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
} catch (error) {
  if (error instanceof ConfigError || error instanceof ConfigFileError) {
    console.error(`hotline: ${error.message}`);
    process.exit(1);
  }
  throw error;
}
