import { isIPv4 } from "node:net";
import { ConfigError, type Env } from "./env.ts";

/** Whether only this machine can reach a server listening on `host`. */
export function isLoopback(host: string): boolean {
  const name = host.toLowerCase().replace(/^\[(.*)\]$/, "$1");
  if (name === "localhost" || name.endsWith(".localhost")) return true;
  if (isIPv4(name)) return name.startsWith("127.");
  return name === "::1" || name === "0:0:0:0:0:0:0:1" || /^::ffff:127\.\d+\.\d+\.\d+$/.test(name);
}

/**
 * Local mode's simulator signs any event it is sent, so local mode listens on loopback only,
 * unless LOCAL_MODE_PUBLIC says otherwise: a mistyped credential name plus `HOST=0.0.0.0` (usual
 * in containers) must not quietly open it to the network. Throws a one-line ConfigError.
 */
export function checkLocalModeHost(env: Env): void {
  if (env.HOST === undefined || isLoopback(env.HOST) || env.LOCAL_MODE_PUBLIC) return;
  throw new ConfigError(
    `local mode (neither LINE_CHANNEL_SECRET nor LINE_CHANNEL_ACCESS_TOKEN is set) refuses ` +
      `HOST=${JSON.stringify(env.HOST)}: its simulator at /dev signs any event it is sent; ` +
      `set both LINE credentials, or a loopback HOST (127.0.0.1), ` +
      `or LOCAL_MODE_PUBLIC=1 to expose local mode on purpose`,
  );
}
