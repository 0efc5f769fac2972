/**
 * What the simulator draws for the bot's rich messages, and what tapping them sends, in headless
 * Chromium (run by scripts/ci-browser.sh, never by `bun test`). A plugin (fixtures/showcase.ts)
 * sends each kind on request and answers every postback with what it carried. Each kind's look is
 * saved as simulator-<kind>.png (in docs/, for docs/simulator.md, with UPDATE_SCREENSHOTS=1).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type BrowserContext, chromium, type Locator, type Page } from "playwright-core";
import { parseEnv } from "../../src/config/env.ts";
import {
  LOCAL_ACCESS_TOKEN,
  type LocalHotline,
  startLocalHotline,
} from "../../src/dev/local-mode.ts";
import { PEOPLE } from "../../src/dev/simulator/simulator.ts";
import { silentLogger } from "../../src/logging/logger.ts";
import { samplePng } from "./png.ts";
import { screenshotPath } from "./screenshots.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

let work: string;
let local: LocalHotline;
let browser: BrowserContext;
let page: Page;
const pageErrors: string[] = [];

const shows = (locator: Locator) => locator.waitFor({ state: "visible" });
const bot = (text: string) => page.locator(".row.bot", { hasText: text }).last();
const own = (text: string) => page.locator(".row.own", { hasText: text }).last();

async function say(text: string): Promise<void> {
  await page.fill("#text", text);
  await page.click("#send");
}

/** Asks the showcase plugin for a kind, and waits until the bot's answer is drawn. */
async function ask(kind: string, drawn: string): Promise<Locator> {
  await say(`show ${kind}`);
  // The row that holds the drawing: later rows (the bot's answers to taps) do not move it.
  const row = page.locator(".row.bot", { has: page.locator(drawn) }).last();
  await shows(row);
  return row;
}

/** The chat as it looks now, for the docs. */
async function screenshot(kind: string): Promise<void> {
  await page.locator("#chat").screenshot({ path: screenshotPath(ROOT, `simulator-${kind}.png`) });
}

/** A call to the LINE stand-in, as the bot would make it with `@line/bot-sdk`. */
async function line(method: string, path: string, body?: unknown): Promise<unknown> {
  const binary = body instanceof Uint8Array;
  const payload = binary ? new Blob([body as Uint8Array<ArrayBuffer>]) : JSON.stringify(body);
  const response = await local.standIn.fetch(
    new Request(`http://line.test${path}`, {
      method,
      headers: {
        authorization: `Bearer ${LOCAL_ACCESS_TOKEN}`,
        "content-type": binary ? "image/png" : "application/json",
      },
      body: body === undefined ? undefined : payload,
    }),
  );
  const answer = await response.json();
  if (!response.ok)
    throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(answer)}`);
  return answer;
}

/** A 2500×843 rich menu with its image; its id. */
async function richMenu(chatBarText: string, areas: unknown[]): Promise<string> {
  const size = { width: 2500, height: 843 };
  const menu = { size, selected: true, name: chatBarText, chatBarText, areas };
  const { richMenuId } = (await line("POST", "/v2/bot/richmenu", menu)) as { richMenuId: string };
  await line("POST", `/v2/bot/richmenu/${richMenuId}/content`, samplePng(size.width, size.height));
  return richMenuId;
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: run scripts/ci-browser.sh (it installs chromium)`);
  work = mkdtempSync(join(tmpdir(), "hotline-rich-"));
  const plugins = join(work, "plugins");
  mkdirSync(plugins);
  copyFileSync(join(ROOT, "test/e2e/fixtures/showcase.ts"), join(plugins, "showcase.ts"));
  local = await startLocalHotline({
    env: parseEnv({
      PORT: "0",
      HOST: "127.0.0.1",
      DATA_DIR: join(work, "data"),
      PLUGINS_DIR: plugins,
      CONFIG_FILE: join(work, "none.json"),
    }),
    log: silentLogger,
    tuning: { watch: false },
  });
  browser = await chromium.launchPersistentContext(join(work, "chromium"), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--headless",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
    ],
    viewport: { width: 1280, height: 860 },
  });
  browser.setDefaultTimeout(10_000);
  page = browser.pages()[0] ?? (await browser.newPage());
  page.on("pageerror", (error) => pageErrors.push(error.message));
  await page.goto(local.simulatorUrl);
  await shows(page.locator('.plugin[data-plugin="showcase"][data-state="loaded"]'));
  // A uri action opens a window: the test notes where to instead (there is no network here).
  await page.evaluate(() => {
    window.open = (url?: string | URL) => {
      document.body.dataset.opened = String(url);
      return null;
    };
  });
});

afterAll(async () => {
  await browser?.close();
  await local?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("rich messages in the simulator", () => {
  test("quick replies: shown under the last message; a postback, a message, a date", async () => {
    await say("show quick reply");
    await shows(bot("Where to?"));
    const bar = page.locator("#quick-replies");
    await shows(bar.locator("button", { hasText: "Coffee" }));
    expect(await bar.locator("button").allTextContents()).toEqual([
      "Coffee",
      "Tea",
      "When?",
      "Camera",
    ]);
    await screenshot("quick-reply");

    await bar.locator("button", { hasText: "Coffee" }).click();
    await shows(own("Coffee, please"));
    await shows(bot("postback drink=coffee"));
    // Gone once the conversation moved on, as in LINE.
    expect(await bar.locator("button").count()).toBe(0);

    await say("show quick reply");
    await shows(bar.locator("button", { hasText: "Tea" }));
    await bar.locator("button", { hasText: "Tea" }).click();
    await shows(bot("said: Tea"));

    await say("show quick reply");
    await bar.locator("button", { hasText: "When?" }).click();
    await shows(page.locator("#picker"));
    expect(await page.getAttribute("#picker-input", "type")).toBe("date");
    expect(await page.inputValue("#picker-input")).toBe("2025-01-15");
    await page.fill("#picker-input", "2025-02-01");
    await page.click("#picker-submit");
    await shows(bot('postback pick=when {"date":"2025-02-01"}'));
  });

  test("buttons template: postback with displayText, message, uri, datetime picker", async () => {
    const row = await ask("buttons", '.tpl-card[data-template="buttons"]');
    await shows(row.locator(".tpl-title", { hasText: "Coffee" }));
    await screenshot("buttons");

    await row.locator("button", { hasText: "Buy" }).click();
    await shows(own("Buy it"));
    await shows(bot("postback action=buy&item=1"));

    await row.locator("button", { hasText: "Ask" }).click();
    await shows(own("Tell me more"));

    await row.locator("button", { hasText: "Web" }).click();
    await page.waitForFunction(() => document.body.dataset.opened === "https://example.com/menu");

    await row.locator("button", { hasText: "Book" }).click();
    expect(await page.getAttribute("#picker-input", "type")).toBe("datetime-local");
    await page.fill("#picker-input", "2025-01-20T09:30");
    await page.click("#picker-submit");
    await shows(bot('postback action=book {"datetime":"2025-01-20T09:30"}'));
  });

  test("confirm template: two buttons side by side", async () => {
    const row = await ask("confirm", '.tpl-card[data-template="confirm"]');
    expect(await row.locator(".tpl-actions button").allTextContents()).toEqual(["Yes", "No"]);
    await screenshot("confirm");
    await row.locator("button", { hasText: "No" }).click();
    await shows(own("tapped “No”"));
    await shows(bot("postback order=no"));
  });

  test("carousel template: columns side by side, each with its buttons", async () => {
    const row = await ask("carousel", '.carousel[data-template="carousel"]');
    expect(await row.locator(".tpl-title").allTextContents()).toEqual(["Espresso", "Frappé"]);
    await screenshot("carousel");
    await row.locator(".tpl-card").nth(1).locator("button", { hasText: "Order" }).click();
    await shows(bot("postback order=frappe"));
  });

  test("image carousel: labelled images that act when tapped", async () => {
    const row = await ask("image carousel", '.carousel[data-template="image_carousel"]');
    await screenshot("image-carousel");
    await row.locator(".img-column", { hasText: "Second" }).click();
    await shows(own("the second one"));
  });

  test("Flex bubble: hero, boxes, text, separator and buttons, drawn as laid out", async () => {
    const row = await ask("flex", ".fx-bubble");
    await shows(row.locator(".fx-text", { hasText: "Brown Cafe" }));
    await shows(row.locator(".fx-box[data-layout='baseline']"));
    expect(await row.locator("hr.fx-separator").count()).toBe(1);
    // The body's texts stack (vertical box); the baseline row puts "Place" left of the address.
    const place = await row.locator(".fx-text", { hasText: "Place" }).boundingBox();
    const address = await row.locator(".fx-text", { hasText: "Tokyo" }).boundingBox();
    expect(place && address && place.x < address.x && Math.abs(place.y - address.y) < 6).toBe(true);
    await expect(
      row.locator(".fx-button.primary").evaluate((b) => getComputedStyle(b).backgroundColor),
    ).resolves.toBe("rgb(23, 201, 80)");
    await screenshot("flex");
    await row.locator(".fx-button", { hasText: "Reserve" }).click();
    await shows(bot("postback reserve=brown"));
  });

  test("Flex carousel: bubbles side by side", async () => {
    const row = await ask("flex carousel", ".fx-carousel");
    expect(await row.locator(".fx-bubble").count()).toBe(2);
    await screenshot("flex-carousel");
    await row.locator(".fx-button", { hasText: "Visit Cony" }).click();
    await shows(bot("postback visit=Cony"));
  });

  test("imagemap: the image with its areas where the bot put them", async () => {
    const row = await ask("imagemap", ".imagemap");
    const areas = row.locator(".imagemap-area");
    expect(await areas.count()).toBe(2);
    const [left, right] = [await areas.nth(0).boundingBox(), await areas.nth(1).boundingBox()];
    expect(left && right && left.width === right.width && left.x < right.x).toBe(true);
    await screenshot("imagemap");
    await areas.nth(0).click();
    await shows(own("Left side"));
    await shows(bot("said: Left side"));
  });

  test("rich menu: the one linked to you, its areas tappable; a switch shows the other menu", async () => {
    const size = { width: 2500, height: 843 };
    const half = { y: 0, width: 1250, height: 843 };
    const a = await richMenu("Menu A", [
      {
        bounds: { x: 0, ...half },
        action: { type: "postback", label: "Left", data: "menu=a-left" },
      },
      {
        bounds: { x: 1250, ...half },
        action: { type: "richmenuswitch", label: "To B", richMenuAliasId: "menu-b", data: "to-b" },
      },
    ]);
    const b = await richMenu("Menu B", [
      { bounds: { x: 0, y: 0, ...size }, action: { type: "postback", label: "B", data: "menu=b" } },
    ]);
    await line("POST", "/v2/bot/richmenu/alias", { richMenuAliasId: "menu-b", richMenuId: b });
    await line("POST", `/v2/bot/user/${PEOPLE[0]?.id}/richmenu/${a}`);

    await shows(page.locator("#rich-menu .rm-bar", { hasText: "Menu A" }));
    await screenshot("rich-menu");
    await page.locator(".rm-area[title='Left']").click();
    await shows(bot("postback menu=a-left"));
    await page.locator(".rm-area[title='To B']").click();
    await shows(bot('postback to-b {"newRichMenuAliasId":"menu-b","status":"SUCCESS"}'));
    await shows(page.locator("#rich-menu .rm-bar", { hasText: "Menu B" }));
  });

  test("nothing on the page threw", () => {
    expect(pageErrors).toEqual([]);
  });
});
