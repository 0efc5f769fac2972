/** With METRICS_TOKEN set, `/metrics` answers only a scraper that sends it, over HTTP. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { event, startTestBot, type TestBot } from "../../src/dev/testing/mod.ts";
import { sample } from "./prom.ts";

const TOKEN = "9f2b6c1d0e4a4f8b8c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f";
let bot: TestBot;

beforeAll(async () => {
  bot = await startTestBot({ env: { METRICS_TOKEN: TOKEN } });
});
afterAll(() => bot?.stop());

const scrape = (authorization?: string) =>
  fetch(`${bot.url}/metrics`, { headers: authorization ? { authorization } : {} });

test("without the token, or with another, /metrics is 401 and shows nothing", async () => {
  for (const authorization of [undefined, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(1)}`, TOKEN]) {
    const response = await scrape(authorization);
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe('Bearer realm="hotline metrics"');
    const body = await response.text();
    expect(body).not.toContain("hotline_");
    expect(body).not.toContain(TOKEN);
  }
});

test("with it, the scrape works and counts what happened", async () => {
  expect((await bot.send(event.follow())).status).toBe(200);
  const response = await scrape(`Bearer ${TOKEN}`);
  expect(response.status).toBe(200);
  const text = await response.text();
  expect(sample(text, "hotline_webhook_requests_total", { status: "200" })).toBe(1);
});

test("the token protects only /metrics: health and the webhook answer as before", async () => {
  expect((await fetch(`${bot.url}/healthz`)).status).toBe(200);
  expect((await bot.send(event.follow())).status).toBe(200);
});
