import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readConfigFile } from "../../src/config/config-file.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "hotline-config-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function configFile(plugins: Record<string, unknown>): string {
  const path = join(dir, "hotline.config.json");
  writeFileSync(path, JSON.stringify({ plugins }));
  return path;
}

describe("default settings", () => {
  const defaults = { "account-link": { demo: true }, echo: { chats: ["user"] } };

  test("lie under the file's sections, which win key by key", () => {
    const path = configFile({
      "account-link": { linkCommand: "connect", demo: false },
      "media-archiver": { retentionDays: 7 },
    });
    expect(readConfigFile(path, defaults).plugins).toEqual({
      "account-link": { demo: false, linkCommand: "connect" },
      echo: { chats: ["user"] },
      "media-archiver": { retentionDays: 7 },
    });
  });

  test("are all there is without a config file", () => {
    expect(readConfigFile(join(dir, "missing.json"), defaults).plugins).toEqual(defaults);
  });

  test("fill an empty section, and leave one that is not an object for the plugin to refuse", () => {
    const path = configFile({ "account-link": ["demo"], echo: null });
    expect(readConfigFile(path, defaults).plugins).toEqual({
      "account-link": ["demo"],
      echo: { chats: ["user"] },
    });
  });
});
