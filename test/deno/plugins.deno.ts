/**
 * Every built-in plugin, under Deno: the plugin test files `bun test` runs, run here unchanged
 * through the bun:test shim (./bun-test.ts) and the test kit, so each plugin is exercised the same
 * way on both runtimes: real HTTP on loopback, real SQLite files, real plugin workers.
 */
import { runBunTestFile } from "./bun-test.ts";

await runBunTestFile("plugins/echo", () => import("../plugins/echo.test.ts"));
await runBunTestFile("plugins/echo-fixture", () => import("../plugins/echo-fixture.test.ts"));
await runBunTestFile(
  "plugins/mention-responder",
  () => import("../plugins/mention-responder.test.ts"),
);
await runBunTestFile("plugins/media-archiver", () => import("../plugins/media-archiver.test.ts"));
await runBunTestFile("plugins/account-link", () => import("../plugins/account-link.test.ts"));
await runBunTestFile("plugins/beacon-greeter", () => import("../plugins/beacon-greeter.test.ts"));
await runBunTestFile("plugins/reminder", () => import("../plugins/reminder.test.ts"));
