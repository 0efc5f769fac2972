/**
 * The plugin test kit (`hotline/testing`): a real bot on loopback, event factories, the LINE
 * stand-in, and a controllable clock.
 */
export { ManualClock } from "../clock.ts";
export { LineStandIn } from "../local/line-stand-in.ts";
export { signBody } from "../webhook/signature.ts";
export {
  createPluginsDir,
  type PostOptions,
  startTestBot,
  TestBot,
  type TestBotOptions,
} from "./bot.ts";
export * from "./events.ts";
