/**
 * The host's own tests under Deno, through the bun:test shim: dispatch, inbox, storage, plugin host
 * (hot reload, isolation, load errors, swaps under load, teardown), SDK state. Files that use Bun's
 * own APIs (Bun.serve, Bun.spawn, bun:sqlite) are not listed here; the README's "Running on Deno"
 * says which and why.
 */
import { runBunTestFile } from "./bun-test.ts";

const files: Array<[string, () => Promise<unknown>, Record<string, string>?]> = [
  ["config/env", () => import("../config/env.test.ts")],
  ["storage/sqlite-store", () => import("../storage/sqlite-store.test.ts")],
  ["core/parsed-event", () => import("../core/parsed-event.test.ts")],
  ["storage/database", () => import("../storage/database.test.ts")],
  ["storage/shared-state", () => import("../storage/shared-state.test.ts")],
  ["storage/write-queue", () => import("../storage/write-queue.test.ts")],
  ["core/events", () => import("../core/events.test.ts")],
  ["webhook/webhook", () => import("../webhook/webhook.test.ts")],
  ["webhook/signature", () => import("../webhook/signature.test.ts")],
  ["webhook/line-examples", () => import("../webhook/line-examples.test.ts")],
  ["webhook/nesting", () => import("../webhook/nesting.test.ts")],
  ["webhook/hostile-input", () => import("../webhook/hostile-input.test.ts")],
  ["metrics/metrics-token", () => import("../metrics/metrics-token.test.ts")],
  ["line/proxy", () => import("../line/proxy.test.ts")],
  ["storage/file-modes", () => import("../storage/file-modes.test.ts")],
  ["sdk/plugin-state", () => import("../sdk/plugin-state.test.ts")],
  ["dispatch/circuit-breaker", () => import("../dispatch/circuit-breaker.test.ts")],
  ["dispatch/ordering", () => import("../dispatch/ordering.test.ts")],
  ["dispatch/replies", () => import("../dispatch/replies.test.ts")],
  ["dispatch/retry", () => import("../dispatch/retry.test.ts")],
  ["dispatch/routing", () => import("../dispatch/routing.test.ts")],
  ["plugin-host/circuit-breaker", () => import("../plugin-host/circuit-breaker.test.ts")],
  [
    "plugin-host/hot-reload",
    () => import("../plugin-host/hot-reload.test.ts"),
    {
      // Deno reports the same syntax error in its own words (`Expected ',', got ';'`).
      "broken plugin files > a syntax error is reported, the old version keeps running, and the fix loads later":
        "asserts the text of Bun's parser message",
    },
  ],
  ["plugin-host/host-options", () => import("../plugin-host/host-options.test.ts")],
  ["plugin-host/isolation", () => import("../plugin-host/isolation.test.ts")],
  ["plugin-host/load-errors", () => import("../plugin-host/load-errors.test.ts")],
  ["plugin-host/parking", () => import("../plugin-host/parking.test.ts")],
  ["plugin-host/sdk-link", () => import("../plugin-host/sdk-link.test.ts")],
  ["plugin-host/start-up", () => import("../plugin-host/start-up.test.ts")],
  ["plugin-host/swap-under-load", () => import("../plugin-host/swap-under-load.test.ts")],
  ["plugin-host/teardown", () => import("../plugin-host/teardown.test.ts")],
  ["plugin-host/worker-messages", () => import("../plugin-host/worker-messages.test.ts")],
  ["plugin-host/worker-pool", () => import("../plugin-host/worker-pool.test.ts")],
  ["plugin-host/worker-secrets", () => import("../plugin-host/worker-secrets.test.ts")],
];

for (const [name, load, unportable] of files) await runBunTestFile(name, load, unportable);
