/**
 * The chat simulator in a real browser: headless Chromium (Debian's `chromium`) drives the page of
 * a bot running in local mode with the real plugins. Not picked up by `bun test` (the name has no
 * `.test`): scripts/ci-browser.sh runs it with `bun test ./test/e2e/simulator.browser.ts`.
 * Playwright's auto-waiting on the page's state is the only synchronisation.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { eq } from "drizzle-orm";
import { type BrowserContext, chromium, type Locator, type Page } from "playwright-core";
import { archivedMedia } from "../../plugins/media-archiver.ts";
import { parseEnv } from "../../src/config/env.ts";
import { type LocalHotline, startLocalHotline } from "../../src/dev/local-mode.ts";
import { pluginDatabase } from "../../src/dev/testing/mod.ts";
import type { Hotline } from "../../src/hotline.ts";
import { silentLogger } from "../../src/logging/logger.ts";
import { samplePng } from "./png.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SCREENSHOT = join(ROOT, "docs", "simulator.png");

let dataDir: string;
let profileDir: string;
let local: LocalHotline;
let hotline: Hotline;
let browser: BrowserContext;
let page: Page;
const pageErrors: string[] = [];

/** Waits (auto-retrying) until the locator shows; fails with playwright's message otherwise. */
const shows = (locator: Locator) => locator.waitFor({ state: "visible" });
const bot = (text: string) => page.locator(".row.bot", { hasText: text }).last();
const chip = (row: Locator, plugin: string, status = "done") =>
  row.locator(`.chip[data-plugin="${plugin}"][data-status="${status}"]`);
const own = (text: string) => page.locator(".row.own", { hasText: text }).last();

async function say(text: string): Promise<void> {
  await page.fill("#text", text);
  await page.click("#send");
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: run scripts/ci-browser.sh (it installs chromium)`);
  dataDir = mkdtempSync(join(tmpdir(), "hotline-e2e-"));
  profileDir = mkdtempSync(join(tmpdir(), "hotline-chromium-"));
  local = await startLocalHotline({
    env: parseEnv({
      PORT: "0",
      HOST: "127.0.0.1",
      DATA_DIR: dataDir,
      PLUGINS_DIR: join(ROOT, "plugins"),
      CONFIG_FILE: join(dataDir, "none.json"),
    }),
    log: silentLogger,
    tuning: { watch: false },
  });
  hotline = local.hotline;
  browser = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--headless",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1280, height: 800 },
  });
  browser.setDefaultTimeout(10_000);
  page = browser.pages()[0] ?? (await browser.newPage());
  page.on("pageerror", (error) => pageErrors.push(error.message));
});

afterAll(async () => {
  await browser?.close();
  await local?.stop();
  for (const dir of [dataDir, profileDir]) if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("the chat simulator in Chromium", () => {
  test("opens, connects to the live stream, and lists the loaded plugins", async () => {
    await page.goto(local.simulatorUrl);
    await shows(page.locator("#live.on"));
    for (const name of [
      "account-link",
      "beacon-greeter",
      "echo",
      "media-archiver",
      "mention-responder",
    ])
      await shows(page.locator(`.plugin[data-plugin="${name}"][data-state="loaded"]`));
  });

  test("a text in the 1:1 chat gets echo's answer, and the message shows echo's delivery", async () => {
    await say("hello from Chromium");
    await shows(bot("hello from Chromium"));
    await shows(chip(own("hello from Chromium"), "echo"));
  });

  test("walking past a beacon gets a greeting by name", async () => {
    await page.click('[data-action="beacon"]');
    await shows(page.locator(".system", { hasText: "saw beacon d41d8cd98f (enter)" }));
    await shows(bot("Welcome, Alice!"));
  });

  test("account link: 'link', the sign-in button, the sign-in form, then the confirmation", async () => {
    await say("link");
    const signIn = page.locator(".tpl-actions button", { hasText: "Sign in" }).last();
    await signIn.click();
    await shows(page.locator("#signin"));
    await page.fill("#provider-user", "alice@example.com");
    await page.click("#signin-submit");
    await shows(bot("now linked to alice@example.com"));
    await page.locator("#signin").waitFor({ state: "hidden" });
  });

  test("in the group, Bob talks, then Alice mentions the bot and gets a quoted answer", async () => {
    await page.selectOption("#me", { label: "Bob" });
    await page.click('[data-chat="group"]');
    await say("morning all!");
    await shows(chip(own("morning all!"), "mention-responder"));
    await page.selectOption("#me", { label: "Alice" });
    // Bob's message is now someone else's, shown on the left with his name.
    await shows(page.locator(".row:not(.own)", { hasText: "morning all!" }).locator(".who"));
    await page.click("#mention");
    await page.type("#text", "ping");
    await page.click("#send");
    const pong = bot("pong");
    await shows(pong);
    expect(await pong.locator(".quote").textContent()).toBe("@hotline ping");
  });

  test("an image is shown, downloaded by media-archiver from the stand-in and archived", async () => {
    const png = samplePng();
    await page.setInputFiles("#attach", {
      name: "sunset.png",
      mimeType: "image/png",
      buffer: Buffer.from(png),
    });
    const row = page.locator('.row.own[data-type="image"]').last();
    await shows(chip(row, "media-archiver"));
    // The browser decoded the bytes the simulator serves back.
    await page.waitForFunction(
      () => {
        const images = document.querySelectorAll<HTMLImageElement>(".row.own img.photo");
        const last = images[images.length - 1];
        return last?.complete === true && last.naturalWidth === 240;
      },
      undefined,
      { timeout: 10_000 },
    );
    const messageId = await row.getAttribute("data-message-id");
    const [archived] = await pluginDatabase(hotline.pluginState)
      .select()
      .from(archivedMedia)
      .where(eq(archivedMedia.messageId, messageId ?? ""));
    expect(archived).toMatchObject({
      status: "archived",
      sha256: createHash("sha256").update(png).digest("hex"),
      size: png.length,
    });
    await shows(page.locator('#deliveries li[data-plugin="media-archiver"][data-status="done"]'));

    mkdirSync(join(ROOT, "docs"), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
  });

  test("unsending the image marks it unsent, and the archiver deletes its copy", async () => {
    const row = page.locator('.row.own[data-type="image"]').last();
    const messageId = (await row.getAttribute("data-message-id")) ?? "";
    await row.hover();
    await row.locator(".unsend").click();
    await shows(
      page.locator(`.row.unsent[data-message-id="${messageId}"]`, { hasText: "Message unsent" }),
    );
    const notice = page.locator(".system", { hasText: "Alice unsent a message" }).last();
    await shows(notice);
    const eventId = await notice.getAttribute("data-event-id");
    // The unsend's delivery to media-archiver is done: its deletion has happened.
    await shows(
      page.locator(
        `#deliveries li[data-event-id="${eventId}"][data-plugin="media-archiver"][data-status="done"]`,
      ),
    );
    const left = await pluginDatabase(hotline.pluginState)
      .select()
      .from(archivedMedia)
      .where(eq(archivedMedia.messageId, messageId));
    expect(left).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
