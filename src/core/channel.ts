/** The channel the environment's LINE_CHANNEL_SECRET / LINE_CHANNEL_ACCESS_TOKEN name. */
export const DEFAULT_CHANNEL = "default";
