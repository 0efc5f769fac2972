/**
 * The config file's `channels`: secrets named by environment variable, never written in the file;
 * a channel whose variables are missing stops the start, naming every one of them.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveChannels } from "../../src/config/channels.ts";
import { ConfigFileError, readConfigFile } from "../../src/config/config-file.ts";
import { ConfigError, parseEnv } from "../../src/config/env.ts";
import { startHotline } from "../../src/hotline.ts";
import { silentLogger } from "../../src/logging/logger.ts";

const dir = mkdtempSync(join(tmpdir(), "hotline-channels-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function configFile(content: unknown): string {
  const path = join(dir, `config-${crypto.randomUUID()}.json`);
  writeFileSync(path, JSON.stringify(content));
  return path;
}

const SHOP = { secretEnv: "SHOP_SECRET", tokenEnv: "SHOP_TOKEN" };

describe("resolveChannels", () => {
  test("reads each channel's secret and token from the variables it names", () => {
    const specs = resolveChannels(
      { shop: SHOP, support: { ...SHOP, plugins: ["echo"] } },
      { SHOP_SECRET: "s", SHOP_TOKEN: "t" },
    );
    expect(specs).toEqual([
      {
        name: "shop",
        channelSecret: "s",
        token: { kind: "long-lived", token: "t" },
        plugins: undefined,
      },
      {
        name: "support",
        channelSecret: "s",
        token: { kind: "long-lived", token: "t" },
        plugins: ["echo"],
      },
    ]);
  });

  test("a token hotline issues takes the channel id and the secret", () => {
    const section = { secretEnv: "S", channelIdEnv: "ID", token: "stateless" as const };
    const [spec] = resolveChannels({ shop: section }, { S: "secret", ID: "123" });
    expect(spec?.token).toEqual({ kind: "stateless", channelId: "123", channelSecret: "secret" });
  });

  test("missing variables are all named, and no value is", () => {
    const run = () =>
      resolveChannels(
        { shop: SHOP, other: { secretEnv: "OTHER_SECRET", tokenEnv: "SHOP_TOKEN" } },
        { SHOP_TOKEN: "the-token" },
      );
    expect(run).toThrow(ConfigError);
    expect(run).toThrow("SHOP_SECRET, OTHER_SECRET");
    expect(run).not.toThrow("the-token");
  });
});

describe("the config file's channels section", () => {
  test("is read beside the plugins' sections", () => {
    const file = readConfigFile(configFile({ plugins: { echo: {} }, channels: { shop: SHOP } }));
    expect(file.channels).toEqual({ shop: SHOP });
  });

  test.each([
    [{ shop: { secret: "written in the file" } }, "channels.shop"],
    [{ default: SHOP }, "channels.default"],
    [{ "Not A Name": SHOP }, "channels.Not A Name"],
    [{ shop: { secretEnv: "S" } }, "needs tokenEnv"],
    [{ shop: { secretEnv: "S", token: "v2.1", channelIdEnv: "I" } }, "assertionKeyEnv"],
  ])("refuses %j", (channels, message) => {
    expect(() => readConfigFile(configFile({ channels }))).toThrow(ConfigFileError);
    expect(() => readConfigFile(configFile({ channels }))).toThrow(message);
  });

  test("a channel whose variables are missing stops the start, before anything opens", async () => {
    const env = parseEnv({
      LINE_CHANNEL_SECRET: "default-secret",
      LINE_CHANNEL_ACCESS_TOKEN: "default-token",
      DATA_DIR: join(dir, "never-made"),
      CONFIG_FILE: configFile({ channels: { shop: SHOP } }),
      PORT: "0",
    });
    const started = startHotline({ env, log: silentLogger, secrets: {} });
    await expect(started).rejects.toThrow("SHOP_SECRET, SHOP_TOKEN");
    expect(await Bun.file(join(dir, "never-made")).exists()).toBe(false);
  });
});
