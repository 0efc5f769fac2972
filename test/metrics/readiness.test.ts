import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEnv } from "../../src/config/env.ts";
import { readLocalModeFile, startLocalHotline } from "../../src/dev/local-mode.ts";
import { createPluginsDir, startTestBot } from "../../src/dev/testing/mod.ts";
import { silentLogger } from "../../src/logging/logger.ts";
import { platform } from "../../src/platform/mod.ts";
import { sample, scrape } from "./prom.ts";

async function readyz(baseUrl: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${baseUrl}/readyz`);
  return { status: response.status, body: await response.json() };
}

describe("GET /readyz", () => {
  test("is not ready while the plugins load (the server is already up)", async () => {
    // The plugin's module waits at top level for this gate: loading lasts until the test says.
    let arrived: () => void = () => {};
    const atGate = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    let open: () => void = () => {};
    const opened = new Promise<void>((resolve) => {
      open = resolve;
    });
    const gate = platform.serve({
      hostname: "127.0.0.1",
      port: 0,
      maxRequestBodySize: 1024,
      fetch: async () => {
        arrived();
        await opened;
        return new Response("go");
      },
    });
    const plugins = createPluginsDir();
    plugins.write(
      "slow-starter.ts",
      `import { definePlugin } from "hotline";
await (await fetch(${JSON.stringify(gate.url)})).text();
export default definePlugin({ name: "slow-starter", on: { follow: () => {} } });
`,
    );
    const dataDir = mkdtempSync(join(tmpdir(), "hotline-ready-"));
    try {
      // Local mode: it writes where its webhook is before it loads the plugins.
      const starting = startLocalHotline({
        env: parseEnv({
          PORT: "0",
          HOST: "127.0.0.1",
          DATA_DIR: dataDir,
          PLUGINS_DIR: plugins.dir,
          CONFIG_FILE: join(dataDir, "none.json"),
        }),
        log: silentLogger,
        tuning: { watch: false },
      });
      await atGate;
      const base = new URL(readLocalModeFile(dataDir).webhookUrl).origin;
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect(await readyz(base)).toEqual({
        status: 503,
        body: { status: "starting", reason: "plugins are loading" },
      });
      open();
      const hotline = await starting;
      expect(await readyz(base)).toEqual({ status: 200, body: { status: "ready" } });
      await hotline.stop();
    } finally {
      open();
      await gate.stop();
      plugins.remove();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test("is not ready when the database cannot answer; /metrics still answers", async () => {
    const bot = await startTestBot();
    try {
      expect(await readyz(bot.url)).toEqual({ status: 200, body: { status: "ready" } });
      // The database goes away under the running bot (the store's connections are closed).
      await bot.hotline.store.close();
      const { status, body } = await readyz(bot.url);
      expect(status).toBe(503);
      const { status: state, reason } = body as { status: string; reason: string };
      expect(state).toBe("unavailable");
      // The driver's own words follow (bun:sqlite: "Cannot use a closed database").
      expect(reason).toMatch(/^database unavailable: \S/);
      expect((await fetch(`${bot.url}/healthz`)).status).toBe(200);
      const metrics = await scrape(bot.url);
      expect(sample(metrics, "hotline_inbox_open_events")).toBeNaN();
    } finally {
      await bot.stop();
    }
  });
});
