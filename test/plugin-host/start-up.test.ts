import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEnv } from "../../src/config/env.ts";
import { DEFAULT_TUNING, resolveConfig } from "../../src/config/options.ts";
import { ManualClock } from "../../src/core/clock.ts";
import { parseEvent } from "../../src/core/parsed-event.ts";
import { createPluginsDir, event } from "../../src/dev/testing/mod.ts";
import { silentLogger } from "../../src/logging/logger.ts";
import { platform } from "../../src/platform/mod.ts";
import { type HostEvent, PluginHost } from "../../src/plugin-host/host.ts";
import { pluginSchedules } from "../../src/schedules/service.ts";
import { SqlitePluginState } from "../../src/storage/sqlite/plugin-state-store.ts";
import { SqliteStore } from "../../src/storage/sqlite/sqlite-store.ts";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A loopback server that holds every request until the test opens it. */
function gate() {
  let arrived: () => void = () => {};
  const reached = new Promise<void>((resolve) => {
    arrived = resolve;
  });
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  const server = platform.serve({
    hostname: "127.0.0.1",
    port: 0,
    maxRequestBodySize: 1024,
    fetch: async () => {
      arrived();
      await opened;
      return new Response("go");
    },
  });
  cleanups.push(() => server.stop());
  // Opened at the end in any case, so that a failing test does not leave the load hanging.
  cleanups.push(() => open());
  return { url: server.url, reached, open };
}

test("a plugin file written while the first load runs is loaded right after it", async () => {
  const plugins = createPluginsDir();
  cleanups.push(plugins.remove);
  const held = gate();
  // Its setup waits for the gate: the first load lasts until the test opens it.
  plugins.write(
    "first.ts",
    `import { definePlugin } from "hotline";
export default definePlugin({
  name: "first",
  async setup() {
    await (await fetch(${JSON.stringify(held.url)})).text();
  },
  on: { follow: () => {} },
});
`,
  );
  const dataDir = mkdtempSync(join(tmpdir(), "hotline-start-"));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const store = SqliteStore.open(dataDir, new ManualClock());
  cleanups.push(() => store.close());
  const pluginState = SqlitePluginState.open(
    dataDir,
    new ManualClock(),
    DEFAULT_TUNING.pluginState,
  );
  cleanups.push(() => pluginState.close());
  const env = parseEnv({
    DATA_DIR: dataDir,
    PLUGINS_DIR: plugins.dir,
    CONFIG_FILE: join(dataDir, "none.json"),
  });
  const host = new PluginHost({
    config: resolveConfig(env, { watch: true, debounceMs: 20 }),
    clock: new ManualClock(),
    log: silentLogger,
    line: {
      apiBaseUrl: "http://127.0.0.1:9",
      dataApiBaseUrl: "http://127.0.0.1:9",
      channelAccessToken: "unused",
    },
    worker: { dataDir },
    state: { plugins: pluginState, users: store },
    pushOutsideEvent: async () => {},
    postbackKey: () => new Uint8Array(32),
    schedules: pluginSchedules(store, new ManualClock()),
  });
  cleanups.push(() => host.stop());
  const loaded = new Promise<HostEvent>((resolve) => {
    host.subscribe((e) => {
      if (e.type === "loaded" && e.name === "late") resolve(e);
    });
  });

  const starting = host.start("");
  await held.reached;
  // The directory was listed before the first load began: only the watcher can see this file.
  plugins.write(
    "late.ts",
    `import { definePlugin } from "hotline";
export default definePlugin({ name: "late", on: { "message:text": () => {} } });
`,
  );
  held.open();
  await starting;

  expect(await loaded).toMatchObject({ type: "loaded", name: "late", reload: false });
  expect(host.route(parseEvent(event.text("hi"), 0))).toEqual(["late"]);
  expect(host.statuses().map((s) => [s.file, s.state])).toEqual([
    ["first.ts", "loaded"],
    ["late.ts", "loaded"],
  ]);
});
