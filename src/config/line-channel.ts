import { ConfigError, type Env } from "./env.ts";

/** The LINE channel the bot serves, and where LINE's APIs are. */
export interface LineChannel {
  channelSecret: string;
  channelAccessToken: string;
  apiBaseUrl: string;
  dataApiBaseUrl: string;
}

/**
 * The channel the environment names; undefined when it names none (local mode). Exactly one of
 * the two credentials set is a mistake, not local mode: the start stops, naming the missing one.
 */
export function lineChannelFrom(env: Env): LineChannel | undefined {
  const { LINE_CHANNEL_SECRET: secret, LINE_CHANNEL_ACCESS_TOKEN: token } = env;
  if (secret && token) {
    return {
      channelSecret: secret,
      channelAccessToken: token,
      apiBaseUrl: env.LINE_API_BASE_URL,
      dataApiBaseUrl: env.LINE_DATA_API_BASE_URL,
    };
  }
  if (!secret && !token) return undefined;
  const missing = secret ? "LINE_CHANNEL_ACCESS_TOKEN" : "LINE_CHANNEL_SECRET";
  throw new ConfigError(
    `invalid environment variable ${missing}: set both LINE credentials, or neither for local mode`,
  );
}
