import { expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigFileError } from "../../src/config/config-file.ts";
import { parseEnv } from "../../src/config/env.ts";
import { startHotline } from "../../src/hotline.ts";
import { silentLogger } from "../../src/logging/logger.ts";
import { platform } from "../../src/platform/mod.ts";

function freePort(): number {
  const probe = platform.serve({
    hostname: "127.0.0.1",
    port: 0,
    maxRequestBodySize: 1,
    fetch: () => new Response(),
  });
  const { port } = probe;
  void probe.stop();
  return port;
}

test("a start that fails half-way (a broken config file) releases the port it had opened", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hotline-start-failure-"));
  try {
    const configFile = join(dir, "hotline.config.json");
    writeFileSync(configFile, "{ not json");
    const port = freePort();
    const env = parseEnv({
      PORT: String(port),
      HOST: "127.0.0.1",
      LINE_CHANNEL_SECRET: "s",
      LINE_CHANNEL_ACCESS_TOKEN: "t",
      DATA_DIR: join(dir, "data"),
      PLUGINS_DIR: join(dir, "plugins"),
      CONFIG_FILE: configFile,
    });
    const failed = startHotline({ env, log: silentLogger, tuning: { watch: false } });
    await expect(failed).rejects.toBeInstanceOf(ConfigFileError);

    // The same port is free again: the server opened before the failure was stopped.
    writeFileSync(configFile, "{}");
    const hotline = await startHotline({ env, log: silentLogger, tuning: { watch: false } });
    expect((await fetch(`${hotline.url}/healthz`)).status).toBe(200);
    await hotline.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
