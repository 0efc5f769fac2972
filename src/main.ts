/** `bun run start`: reads the environment, starts hotline, stops cleanly on SIGINT/SIGTERM. */

import { ConfigFileError } from "./config/config-file.ts";
import { ConfigError, parseEnv } from "./config/env.ts";
import { type Hotline, startHotline } from "./hotline.ts";

let hotline: Hotline | undefined;
let stopping = false;
// Registered before start-up, so a signal while plugins load still stops cleanly once they have.
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  if (!hotline) return;
  hotline.log.info({ signal }, "shutting down: finishing in-flight deliveries");
  await hotline.stop();
  process.exit(0);
};
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));

try {
  hotline = await startHotline({ env: parseEnv(process.env) });
  if (stopping) {
    stopping = false;
    await shutdown("signal during start-up");
  }
} catch (error) {
  if (error instanceof ConfigError || error instanceof ConfigFileError) {
    console.error(`hotline: ${error.message}`);
    process.exit(1);
  }
  throw error;
}
