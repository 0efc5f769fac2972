/**
 * Every built-in plugin, under Deno: the plugin test files `bun test` runs, run here unchanged
 * through the bun:test shim (./bun-test.ts) and the test kit, so each plugin is exercised the same
 * way on both runtimes: real HTTP on loopback, real SQLite files, real plugin workers.
 */
import { runBunTestFile } from "./bun-test.ts";

await runBunTestFile("plugins/echo", () => import("../plugins/echo.test.ts"));
await runBunTestFile(
  "plugins/mention-responder",
  () => import("../plugins/mention-responder.test.ts"),
);
await runBunTestFile("plugins/media-archiver", () => import("../plugins/media-archiver.test.ts"), {
  // The test starts its stand-in for a third-party host with Bun.serve (the plugin itself is
  // portable); it runs under Deno once the test uses platform.serve instead.
  "media-archiver > external content: its URLs are recorded and never fetched":
    "the test starts its server with Bun.serve",
});
await runBunTestFile("plugins/account-link", () => import("../plugins/account-link.test.ts"));
await runBunTestFile("plugins/beacon-greeter", () => import("../plugins/beacon-greeter.test.ts"));
