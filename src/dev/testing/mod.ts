/**
 * The plugin test kit (`hotline/testing`): a real bot on loopback, event factories, the LINE
 * stand-in, and a controllable clock.
 */
export { ManualClock } from "../../core/clock.ts";
export { signBody } from "../../webhook/signature.ts";
export * from "../events/mod.ts";
export { anonymizeFixture } from "../fixtures/anonymize.ts";
export { type Fixture, type FixtureInput, parseFixture } from "../fixtures/fixture.ts";
export { LineStandIn } from "../line-stand-in/mod.ts";
export { type PostOptions, startTestBot, TestBot, type TestBotOptions } from "./bot.ts";
export { pluginDatabase } from "./plugin-db.ts";
export type { PluginFilesView } from "./plugin-files.ts";
export { createPluginsDir } from "./plugins-dir.ts";
export type { ReplayedEvent, ReplayOptions, ReplayResult } from "./replay.ts";
export type { PickerChoice, TapOptions } from "./tap.ts";
