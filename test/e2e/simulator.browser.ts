/**
 * The chat simulator in a real browser: headless Chromium (Debian's `chromium`) drives the page of
 * a bot running in local mode with the built-in plugins (linked into a scratch plugins directory,
 * where a test adds more while the page is open). Not picked up by `bun test` (the name has no
 * `.test`): scripts/ci-browser.sh runs it with `bun test ./test/e2e/simulator.browser.ts`.
 * Playwright's auto-waiting on the page's state is the only synchronisation.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { eq } from "drizzle-orm";
import { type BrowserContext, chromium, type Locator, type Page } from "playwright-core";
import { archivedMedia } from "../../plugins/media-archiver.ts";
import { parseEnv } from "../../src/config/env.ts";
import { type LocalHotline, startLocalHotline } from "../../src/dev/local-mode.ts";
import { createPluginsDir, pluginDatabase } from "../../src/dev/testing/mod.ts";
import type { Hotline } from "../../src/hotline.ts";
import { silentLogger } from "../../src/logging/logger.ts";
import { samplePng } from "./png.ts";
import { screenshotPath } from "./screenshots.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SCREENSHOT = screenshotPath(ROOT, "simulator.png");
const BUILT_INS = ["account-link", "beacon-greeter", "echo", "media-archiver", "mention-responder"];

let dataDir: string;
let profileDir: string;
/** The built-ins, linked, and room for plugins the tests add while the page is open. */
const plugins = createPluginsDir();
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
const command = (word: string, plugin: string) =>
  page.locator(`#commands .cmd[data-command="${word}"][data-plugin="${plugin}"]`);

async function say(text: string): Promise<void> {
  await page.fill("#text", text);
  await page.click("#send");
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: run scripts/ci-browser.sh (it installs chromium)`);
  dataDir = mkdtempSync(join(tmpdir(), "hotline-e2e-"));
  profileDir = mkdtempSync(join(tmpdir(), "hotline-chromium-"));
  for (const name of BUILT_INS) {
    const file = existsSync(join(ROOT, "plugins", name)) ? name : `${name}.ts`;
    symlinkSync(join(ROOT, "plugins", file), join(plugins.dir, file));
  }
  local = await startLocalHotline({
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
  plugins.remove();
});

describe("the chat simulator in Chromium", () => {
  test("opens, connects to the live stream, and lists the loaded plugins", async () => {
    await page.goto(local.simulatorUrl);
    await shows(page.locator("#live.on"));
    for (const name of BUILT_INS)
      await shows(page.locator(`.plugin[data-plugin="${name}"][data-state="loaded"]`));
    await shows(page.locator('.plugin[data-plugin="echo"] .priority', { hasText: "priority 0" }));
  });

  test("the header shows the commands help lists in the 1:1 chat, with their plugins", async () => {
    await shows(command("link", "account-link"));
    expect(await command("link", "account-link").textContent()).toContain(
      "link your LINE account to your account with us",
    );
    await shows(command("help", "hotline"));
    // mention-responder answers in groups only: its ping is not listed here.
    expect(await page.locator('#commands .cmd[data-command="ping"]').count()).toBe(0);
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
    // In the group the header lists mention-responder's ping too, written with the mention.
    expect(await command("ping", "mention-responder").locator("code").textContent()).toBe(
      "@hotline ping",
    );
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

  test("plugins loaded while the page is open: their commands and order show, and a postback quick reply reaches its route", async () => {
    await page.click('[data-chat="user"]');
    const barista = plugins.write(
      "barista.ts",
      readFileSync(join(ROOT, "test/docs/examples/barista.ts"), "utf8"),
    );
    // Above the others: listed first in the panel, and its command first in the header.
    const vip = plugins.write(
      "vip.ts",
      `import { definePlugin } from "hotline";
export default definePlugin({
  name: "vip",
  priority: 5,
  commands: { menu: { description: "today's menu", handle: (_a, _e, ctx) => ctx.reply("soup") } },
});
`,
    );
    await hotline.plugins.reload([barista, vip]);
    await shows(command("order", "barista"));
    expect(await command("order", "barista").textContent()).toContain("order <latte|tea>");
    expect(await command("order", "barista").textContent()).toContain("orders a drink");
    await shows(page.locator('#plugins > .plugin:first-child[data-plugin="vip"]'));
    expect(await page.locator('.plugin[data-plugin="vip"] .priority').textContent()).toBe(
      "priority 5",
    );
    expect(await page.locator("#commands .cmd").first().getAttribute("data-command")).toBe("menu");

    // A tap on a command puts it in the composer.
    await command("order", "barista").click();
    expect(await page.inputValue("#text")).toBe("order ");
    await page.type("#text", "latte");
    await page.click("#send");
    await shows(bot("Which size of latte?"));
    const bar = page.locator("#quick-replies");
    expect(await bar.locator("button").allTextContents()).toEqual(["S", "M", "L", "Pick-up time"]);

    // The quick reply is built by ctx.postback: its signed data comes back to barista's route.
    await bar.locator("button", { hasText: /^M$/ }).click();
    const tapped = page.locator('.row.own[data-type="postback"]').last();
    await shows(tapped.locator(".bubble", { hasText: /^M$/ }));
    await shows(bot("One M latte coming up."));
    await shows(chip(tapped, "barista"));
    const eventId = (await tapped.getAttribute("data-event-id")) ?? "";
    const stored = await hotline.store.readEvent(eventId);
    expect(stored?.parsed.event).toMatchObject({
      type: "postback",
      postback: { data: expect.stringMatching(/^hl:barista:size:/) },
    });

    await say("order tea");
    await shows(bot("Which size of tea?"));
    await bar.locator("button", { hasText: "Pick-up time" }).click();
    expect(await page.getAttribute("#picker-input", "type")).toBe("time");
    await page.fill("#picker-input", "08:30");
    await page.click("#picker-submit");
    await shows(bot("Your tea will be ready at 08:30."));

    // Removed again: the header follows.
    rmSync(barista);
    rmSync(vip);
    await hotline.plugins.reload([barista, vip]);
    await command("order", "barista").waitFor({ state: "detached" });
    await command("menu", "vip").waitFor({ state: "detached" });
    await shows(command("link", "account-link"));
    expect(pageErrors).toEqual([]);
  });
});
