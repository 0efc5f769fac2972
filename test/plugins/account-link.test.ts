import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eq } from "hotline/db";
import { event, group, startTestBot, type TestBot, user } from "hotline/testing";
import { constantTimeEqual, newNonce } from "../../plugins/account-link/security.ts";
import { accountLinks, linkAttempts, linkTokens } from "../../plugins/account-link/tables.ts";

const PLUGIN = new URL("../../plugins/account-link/", import.meta.url);
const TEN_MINUTES = 10 * 60_000;
/**
 * Added to advances that must cross an expiry: the plugin's ctx.now() runs ahead of the test's
 * ManualClock by the real milliseconds spent since the host last synced it, so an expiry computed
 * inside a handler can sit a few ms after "issue time + 10 minutes".
 */
const CLOCK_SLACK_MS = 1_000;
const SECRET = "provider-secret-0123456789abcdef0123456789";
/** The demo sign-in page is served only when asked for. */
const DEMO = { demo: true };

function start(settings: Record<string, unknown> = {}): Promise<TestBot> {
  return startTestBot({ plugins: [PLUGIN], settings: { "account-link": settings } });
}

/** One bot for a whole describe block (a bot takes a while to start); tests use their own users. */
function sharedBot(settings: Record<string, unknown> = {}): () => TestBot {
  let bot: TestBot | undefined;
  beforeAll(async () => {
    bot = await start(settings);
  });
  afterAll(() => bot?.stop());
  return () => {
    if (!bot) throw new Error("the bot is not started");
    return bot;
  };
}

let users = 0;
/** A LINE user id no other test uses. */
function newUser(): string {
  users += 1;
  return `U${users.toString(16).padStart(32, "0")}`;
}

type Template = { type: "template"; template: { actions: Array<{ type: string; uri: string }> } };

/** Sends "link" as `userId` and returns the sign-in URL of the reply's button. */
async function askToLink(bot: TestBot, userId: string): Promise<URL> {
  const link = event.text("link", { chat: user(userId) });
  await bot.deliver(link);
  const [reply] = bot.repliesTo(link) as Template[];
  expect(reply?.type).toBe("template");
  const action = reply?.template.actions[0];
  expect(action?.type).toBe("uri");
  return new URL(action?.uri ?? "");
}

function demoSignIn(bot: TestBot, linkToken: string, userId: string): Promise<Response> {
  return fetch(`${bot.url}/plugins/account-link/login`, {
    method: "POST",
    body: new URLSearchParams({ linkToken, userId }),
    redirect: "manual",
  });
}

/** Submits the page's form as a browser would: its own fields and action, `typed` filled in. */
function submitForm(page: URL, html: string, typed: Record<string, string>): Promise<Response> {
  const form = /<form method="post" action="([^"]*)">([\s\S]*?)<\/form>/.exec(html);
  expect(form).not.toBeNull();
  const fields = new URLSearchParams();
  for (const input of (form?.[2] ?? "").matchAll(/<input ([^>]*)>/g)) {
    const name = /name="([^"]*)"/.exec(input[1] ?? "")?.[1] ?? "";
    const value = /value="([^"]*)"/.exec(input[1] ?? "")?.[1] ?? "";
    fields.set(name, typed[name] ?? value);
  }
  expect([...fields.keys()].sort()).toEqual(["linkToken", ...Object.keys(typed)].sort());
  return fetch(new URL(form?.[1] ?? "", page), {
    method: "POST",
    body: fields,
    redirect: "manual",
  });
}

/** The nonce of a redirect to LINE's account-link endpoint, checking the rest of the URL. */
function nonceOf(response: Response, linkToken: string): string {
  expect(response.status).toBe(303);
  const location = new URL(response.headers.get("location") ?? "");
  expect(location.origin + location.pathname).toBe("https://access.line.me/dialog/bot/accountLink");
  expect(location.searchParams.get("linkToken")).toBe(linkToken);
  const nonce = location.searchParams.get("nonce") ?? "";
  expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
  return nonce;
}

/** "link", then the demo sign-in as `providerUserId`; returns the nonce LINE would send back. */
async function signedIn(bot: TestBot, userId: string, providerUserId: string): Promise<string> {
  const linkToken = (await askToLink(bot, userId)).searchParams.get("linkToken") ?? "";
  return nonceOf(await demoSignIn(bot, linkToken, providerUserId), linkToken);
}

async function linkOf(bot: TestBot, lineUserId: string) {
  const [link] = await bot.pluginDb
    .select()
    .from(accountLinks)
    .where(eq(accountLinks.lineUserId, lineUserId));
  return link;
}

async function attempt(bot: TestBot, nonce: string) {
  const [found] = await bot.pluginDb
    .select()
    .from(linkAttempts)
    .where(eq(linkAttempts.nonce, nonce));
  return found;
}

function attemptsOf(bot: TestBot, lineUserId: string) {
  return bot.pluginDb.select().from(linkAttempts).where(eq(linkAttempts.lineUserId, lineUserId));
}

function tokensOf(bot: TestBot, lineUserId: string) {
  return bot.line.linkTokens.filter((token) => token.userId === lineUserId);
}

function texts(messages: unknown[]): string[] {
  return (messages as Array<{ text?: string }>).map((m) => m.text ?? "");
}

const LINKED = /^Your LINE account is now linked to (.+)\. Send "unlink" at any time to undo it\.$/;
const REFUSED = /^Sorry, that sign-in could not be used/;

describe("with the demo sign-in page", () => {
  const bot = sharedBot(DEMO);

  test("link → link token → sign-in page → redirect to LINE → accountLink → linked → unlink", async () => {
    const alice = newUser();
    const signIn = await askToLink(bot(), alice);
    const [issued] = tokensOf(bot(), alice);
    const linkToken = issued?.linkToken ?? "";
    expect(linkToken).not.toBe("");
    expect(signIn.href).toBe(`${bot().url}/plugins/account-link/login?linkToken=${linkToken}`);

    const page = await fetch(signIn);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(page.headers.get("cache-control")).toBe("no-store");
    const html = await page.text();
    expect(html).toContain("Demo sign-in, not a real login");
    expect(html).toContain(`<input type="hidden" name="linkToken" value="${linkToken}">`);

    const nonce = nonceOf(
      await submitForm(signIn, html, { userId: "alice@example.com" }),
      linkToken,
    );
    expect(await linkOf(bot(), alice)).toBeUndefined();

    const linked = event.accountLink("ok", nonce, { chat: user(alice) });
    await bot().deliver(linked);
    expect(texts(bot().repliesTo(linked))).toEqual([
      'Your LINE account is now linked to alice@example.com. Send "unlink" at any time to undo it.',
    ]);
    expect(await linkOf(bot(), alice)).toEqual({
      lineUserId: alice,
      providerUserId: "alice@example.com",
      linkedAt: expect.any(Number),
    });
    expect(await attempt(bot(), nonce)).toMatchObject({
      status: "linked",
      providerUserId: "alice@example.com",
    });

    const unlink = event.text("unlink", { chat: user(alice) });
    await bot().deliver(unlink);
    expect(texts(bot().repliesTo(unlink))).toEqual([
      "Your LINE account is no longer linked to alice@example.com.",
    ]);
    expect(await linkOf(bot(), alice)).toBeUndefined();
  });

  test("refuses link tokens it did not issue, and hands out no nonce for them", async () => {
    const page = await fetch(`${bot().url}/plugins/account-link/login?linkToken=madeUpToken123`);
    expect(page.status).toBe(404);
    expect(await page.text()).toContain("This link is not valid");
    expect((await fetch(`${bot().url}/plugins/account-link/login`)).status).toBe(404);

    const posted = await demoSignIn(bot(), "madeUpToken123", "mallory");
    expect(posted.status).toBe(404);
    expect(posted.headers.get("location")).toBeNull();
    expect(
      await bot()
        .pluginDb.select()
        .from(linkAttempts)
        .where(eq(linkAttempts.providerUserId, "mallory")),
    ).toEqual([]);
  });

  test("a link token buys one nonce: a second sign-in with it is refused", async () => {
    const alice = newUser();
    const linkToken = (await askToLink(bot(), alice)).searchParams.get("linkToken") ?? "";
    nonceOf(await demoSignIn(bot(), linkToken, "alice"), linkToken);
    const again = await demoSignIn(bot(), linkToken, "mallory");
    expect(again.status).toBe(409);
    expect(again.headers.get("location")).toBeNull();
    const page = await fetch(`${bot().url}/plugins/account-link/login?linkToken=${linkToken}`);
    expect(page.status).toBe(409);
    expect((await attemptsOf(bot(), alice)).map((a) => a.providerUserId)).toEqual(["alice"]);
  });

  test("a link token expires after 10 minutes", async () => {
    const signIn = await askToLink(bot(), newUser());
    const linkToken = signIn.searchParams.get("linkToken") ?? "";
    await bot().advance(TEN_MINUTES + CLOCK_SLACK_MS);
    const page = await fetch(signIn);
    expect(page.status).toBe(410);
    expect(await page.text()).toContain("Send &quot;link&quot; to the bot in LINE");
    expect((await demoSignIn(bot(), linkToken, "alice")).status).toBe(410);
  });

  test("a sign-in without a user id is sent back, and the link token stays usable", async () => {
    const linkToken = (await askToLink(bot(), newUser())).searchParams.get("linkToken") ?? "";
    expect((await demoSignIn(bot(), linkToken, "   ")).status).toBe(400);
    nonceOf(await demoSignIn(bot(), linkToken, "alice"), linkToken);
  });

  test("escapes what it puts in the page, and encodes what it puts in URLs", async () => {
    const alice = newUser();
    const evil = `"><script>alert(1)</script>&`;
    bot().line.fault({
      path: `/v2/bot/user/${alice}/linkToken`,
      status: 200,
      body: { linkToken: evil },
    });
    const signIn = await askToLink(bot(), alice);
    expect(signIn.searchParams.get("linkToken")).toBe(evil);
    expect(signIn.href).not.toContain("<");

    const html = await (await fetch(signIn)).text();
    expect(html).not.toContain("<script>");
    expect(html).toContain('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&amp;"');

    const redirect = await demoSignIn(bot(), evil, "alice");
    const location = new URL(redirect.headers.get("location") ?? "");
    expect(location.searchParams.get("linkToken")).toBe(evil);
    expect(location.search).not.toContain("<");
  });
});

describe("accountLink events", () => {
  const bot = sharedBot(DEMO);

  test("a nonce links once: replaying it links nothing, even after an unlink", async () => {
    const alice = newUser();
    const nonce = await signedIn(bot(), alice, "alice");
    await bot().deliver(event.accountLink("ok", nonce, { chat: user(alice) }));
    await bot().deliver(event.text("unlink", { chat: user(alice) }));

    const replay = event.accountLink("ok", nonce, { chat: user(alice) });
    await bot().deliver(replay);
    expect(texts(bot().repliesTo(replay))[0]).toMatch(REFUSED);
    expect(await linkOf(bot(), alice)).toBeUndefined();
  });

  test("a nonce expires with its link token, 10 minutes after the link command", async () => {
    const alice = newUser();
    const linkToken = (await askToLink(bot(), alice)).searchParams.get("linkToken") ?? "";
    await bot().advance(TEN_MINUTES - 60_000);
    const nonce = nonceOf(await demoSignIn(bot(), linkToken, "alice"), linkToken);
    await bot().advance(60_000 + CLOCK_SLACK_MS);

    const late = event.accountLink("ok", nonce, { chat: user(alice) });
    await bot().deliver(late);
    expect(texts(bot().repliesTo(late))).toEqual([
      'Sorry, that sign-in could not be used: it expired or was already used. Send "link" to try again.',
    ]);
    expect(await linkOf(bot(), alice)).toBeUndefined();
    expect((await attempt(bot(), nonce))?.status).toBe("pending");
  });

  test("an unknown nonce links nothing", async () => {
    const alice = newUser();
    const unknown = event.accountLink("ok", newNonce(), { chat: user(alice) });
    await bot().deliver(unknown);
    expect(texts(bot().repliesTo(unknown))[0]).toMatch(REFUSED);
    expect(await linkOf(bot(), alice)).toBeUndefined();
  });

  test("a nonce links only the LINE user its link token was issued for", async () => {
    const alice = newUser();
    const bob = newUser();
    const nonce = await signedIn(bot(), alice, "alice");
    const stolen = event.accountLink("ok", nonce, { chat: user(bob) });
    await bot().deliver(stolen);
    expect(texts(bot().repliesTo(stolen))[0]).toMatch(REFUSED);
    expect(await linkOf(bot(), alice)).toBeUndefined();
    expect(await linkOf(bot(), bob)).toBeUndefined();
  });

  test("a failed result is recorded, answered with nothing, and uses up the nonce", async () => {
    const alice = newUser();
    const nonce = await signedIn(bot(), alice, "alice");
    const failed = event.accountLink("failed", nonce);
    expect(failed.source).toBeUndefined();
    expect(failed.replyToken).toBeUndefined();
    const sentBefore = bot().line.replies.length + bot().line.pushes.length;
    await bot().deliver(failed);
    expect(await bot().deliveries(failed.webhookEventId)).toEqual([
      expect.objectContaining({ plugin: "account-link", status: "done" }),
    ]);
    expect(await attempt(bot(), nonce)).toMatchObject({
      status: "failed",
      eventId: failed.webhookEventId,
      resolvedAt: expect.any(Number),
    });
    expect(bot().line.replies.length + bot().line.pushes.length).toBe(sentBefore);

    await bot().deliver(event.accountLink("ok", nonce, { chat: user(alice) }));
    expect(await linkOf(bot(), alice)).toBeUndefined();
  });

  test("a retried delivery of the linking event (its reply failed) confirms again", async () => {
    const alice = newUser();
    const nonce = await signedIn(bot(), alice, "alice");
    bot().line.fault({
      path: "/v2/bot/message/reply",
      status: 500,
      times: Number.POSITIVE_INFINITY,
    });
    const linked = event.accountLink("ok", nonce, { chat: user(alice) });
    await bot().deliver(linked);
    expect((await bot().deliveries(linked.webhookEventId))[0]?.status).toBe("retry");
    expect((await linkOf(bot(), alice))?.providerUserId).toBe("alice");

    bot().line.reset(); // clears the fault
    await bot().advance(5_000);
    expect((await bot().deliveries(linked.webhookEventId))[0]?.status).toBe("done");
    expect(texts(bot().repliesTo(linked))).toEqual([expect.stringMatching(LINKED)]);
  });

  test("links are one to one: a provider account moves to the LINE user who linked it last", async () => {
    const alice = newUser();
    const bob = newUser();
    const first = await signedIn(bot(), alice, "shared-account");
    await bot().deliver(event.accountLink("ok", first, { chat: user(alice) }));
    const second = await signedIn(bot(), bob, "shared-account");
    await bot().deliver(event.accountLink("ok", second, { chat: user(bob) }));
    expect(await linkOf(bot(), alice)).toBeUndefined();
    expect((await linkOf(bot(), bob))?.providerUserId).toBe("shared-account");
  });
});

describe("chat commands", () => {
  const bot = sharedBot(DEMO);

  test("are commands: alone in a 1:1 chat, in any case; chat that starts with the word is not", async () => {
    const alice = newUser();
    const chatter = event.text("send me the link", { chat: user(alice) });
    const more = event.text("link to the article", { chat: user(alice) });
    const unmentioned = event.text("link", { chat: group(undefined, alice) });
    await bot().deliver(chatter, more, unmentioned);
    for (const sent of [chatter, more, unmentioned]) await bot().expectNoReply(sent);
    expect(tokensOf(bot(), alice)).toEqual([]);

    const shouted = event.text("  LINK ", { chat: user(alice) });
    const slashed = event.text("/link", { chat: user(alice) });
    await bot().deliver(shouted);
    await bot().deliver(slashed);
    expect(tokensOf(bot(), alice)).toHaveLength(2);
    for (const sent of [shouted, slashed])
      expect(bot().repliesTo(sent)).toEqual([expect.objectContaining({ type: "template" })]);
  });

  test("in a group, a mention of the bot with the command says to send it 1:1, and issues nothing", async () => {
    const alice = newUser();
    const inGroup = event.text("@Hotline link", {
      chat: group(undefined, alice),
      mention: [{ at: "@Hotline", isSelf: true }],
    });
    await bot().deliver(inGroup);
    expect(texts(bot().repliesTo(inGroup))).toEqual([
      'For your account\'s safety, send "link" or "unlink" to me in a 1:1 chat.',
    ]);
    expect(tokensOf(bot(), alice)).toEqual([]);
  });

  test("help lists them", async () => {
    const help = event.text("help", { chat: user(newUser()) });
    await bot().deliver(help);
    expect(texts(bot().repliesTo(help))).toEqual([
      [
        "Commands:",
        "link — link your LINE account to your account with us",
        "unlink — remove that link",
        "help — this list",
      ].join("\n"),
    ]);
  });

  test("say so when already linked (issuing no token) or not linked", async () => {
    const alice = newUser();
    const notLinked = event.text("unlink", { chat: user(alice) });
    await bot().deliver(notLinked);
    expect(texts(bot().repliesTo(notLinked))).toEqual([
      'Your LINE account is not linked. Send "link" to link it.',
    ]);

    const nonce = await signedIn(bot(), alice, "alice");
    await bot().deliver(event.accountLink("ok", nonce, { chat: user(alice) }));
    const again = event.text("link", { chat: user(alice) });
    await bot().deliver(again);
    expect(texts(bot().repliesTo(again))).toEqual([
      'Your LINE account is already linked to alice. Send "unlink" first to link another account.',
    ]);
    expect(tokensOf(bot(), alice)).toHaveLength(1);
  });

  test("blocking the bot (unfollow) keeps the link", async () => {
    const alice = newUser();
    const nonce = await signedIn(bot(), alice, "alice");
    await bot().deliver(event.accountLink("ok", nonce, { chat: user(alice) }));
    await bot().deliver(event.unfollow({ chat: user(alice) }));
    expect((await linkOf(bot(), alice))?.providerUserId).toBe("alice");
  });

  test("command words are settings", async () => {
    const custom = await start({ ...DEMO, linkCommand: "Connect", unlinkCommand: "disconnect" });
    try {
      const alice = newUser();
      await custom.deliver(event.text("link", { chat: user(alice) }));
      expect(tokensOf(custom, alice)).toEqual([]);
      await custom.deliver(event.text("connect", { chat: user(alice) }));
      expect(tokensOf(custom, alice)).toHaveLength(1);
      const disconnect = event.text("disconnect", { chat: user(alice) });
      await custom.deliver(disconnect);
      expect(texts(custom.repliesTo(disconnect))).toEqual([
        'Your LINE account is not linked. Send "connect" to link it.',
      ]);
    } finally {
      await custom.stop();
    }
  });
});

describe("with a real provider", () => {
  const settings = { loginUrl: "https://shop.example/line/login?lang=en", providerSecret: SECRET };
  const bot = sharedBot(settings);

  function provider(path: string, body: unknown, authorization?: string): Promise<Response> {
    return fetch(`${bot().url}/plugins/account-link/provider/${path}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(authorization === undefined ? {} : { authorization }),
      },
      body: JSON.stringify(body),
    });
  }

  /** "link", then the provider asks for the redirect; returns what it got back. */
  async function providerSignIn(alice: string, providerUserId: string) {
    const linkToken = (await askToLink(bot(), alice)).searchParams.get("linkToken") ?? "";
    const response = await provider("link", { linkToken, providerUserId }, `Bearer ${SECRET}`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { redirectUrl: string; expiresAt: number };
    return { linkToken, ...body, nonce: new URL(body.redirectUrl).searchParams.get("nonce") ?? "" };
  }

  test("sends users to the provider's login page; the provider gets the redirect from the plugin", async () => {
    const alice = newUser();
    const signIn = await askToLink(bot(), alice);
    const [issued] = tokensOf(bot(), alice);
    expect(signIn.origin + signIn.pathname).toBe("https://shop.example/line/login");
    expect(signIn.searchParams.get("lang")).toBe("en");
    expect(signIn.searchParams.get("linkToken")).toBe(issued?.linkToken ?? "");
    const demo = await fetch(
      `${bot().url}/plugins/account-link/login?linkToken=${issued?.linkToken}`,
    );
    expect(demo.status).toBe(404);

    const response = await provider(
      "link",
      { linkToken: issued?.linkToken, providerUserId: "customer-42" },
      `Bearer ${SECRET}`,
    );
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const { redirectUrl, expiresAt } = (await response.json()) as {
      redirectUrl: string;
      expiresAt: number;
    };
    expect(expiresAt).toBeGreaterThanOrEqual((issued?.at ?? 0) + TEN_MINUTES);
    expect(expiresAt).toBeLessThan((issued?.at ?? 0) + TEN_MINUTES + CLOCK_SLACK_MS);
    const redirect = new URL(redirectUrl);
    expect(redirect.origin + redirect.pathname).toBe(
      "https://access.line.me/dialog/bot/accountLink",
    );
    expect(redirect.searchParams.get("linkToken")).toBe(issued?.linkToken ?? "");

    const linked = event.accountLink("ok", redirect.searchParams.get("nonce") ?? "", {
      chat: user(alice),
    });
    await bot().deliver(linked);
    expect(texts(bot().repliesTo(linked))).toEqual([expect.stringMatching(LINKED)]);
    expect((await linkOf(bot(), alice))?.providerUserId).toBe("customer-42");
  });

  test("the provider endpoints need the shared secret", async () => {
    const alice = newUser();
    await askToLink(bot(), alice);
    const linkToken = tokensOf(bot(), alice)[0]?.linkToken ?? "";
    const body = { linkToken, providerUserId: "customer-43" };
    for (const authorization of [
      undefined,
      "",
      SECRET,
      `Bearer ${SECRET.slice(0, -1)}X`,
      `Bearer ${SECRET.slice(0, -1)}`,
      `Bearer ${SECRET}x`,
      `Basic ${SECRET}`,
    ]) {
      const refused = await provider("link", body, authorization);
      expect(refused.status).toBe(401);
      expect(refused.headers.get("www-authenticate")).toContain("Bearer");
      expect((await provider("unlink", { providerUserId: "x" }, authorization)).status).toBe(401);
    }
    expect(await attemptsOf(bot(), alice)).toEqual([]);

    expect((await provider("link", { linkToken }, `Bearer ${SECRET}`)).status).toBe(400);
    const unknown = await provider("link", { ...body, linkToken: "madeUp" }, `Bearer ${SECRET}`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: "unknown link token" });
    expect((await provider("link", body, `bearer ${SECRET}`)).status).toBe(200);
    const again = await provider("link", body, `Bearer ${SECRET}`);
    expect(again.status).toBe(409);
    expect(await again.json()).toEqual({ error: "link token already used" });
  });

  test("the provider can unlink, for users who unlink on its side", async () => {
    const alice = newUser();
    const { nonce } = await providerSignIn(alice, "customer-44");
    await bot().deliver(event.accountLink("ok", nonce, { chat: user(alice) }));
    expect((await linkOf(bot(), alice))?.providerUserId).toBe("customer-44");

    const auth = `Bearer ${SECRET}`;
    const unlinked = await provider("unlink", { providerUserId: "customer-44" }, auth);
    expect(await unlinked.json()).toEqual({ unlinked: true });
    expect(await linkOf(bot(), alice)).toBeUndefined();
    const again = await provider("unlink", { providerUserId: "customer-44" }, auth);
    expect(await again.json()).toEqual({ unlinked: false });
  });

  test("settings that would leave the demo page up by mistake fail the load, saying why", async () => {
    for (const [wrong, error] of [
      [{ loginUrl: settings.loginUrl }, "loginUrl needs providerSecret"],
      [{ loginURL: settings.loginUrl, providerSecret: SECRET }, "loginURL"],
      [{ demo: "true" }, "demo"],
    ] as const) {
      const broken = await start(wrong);
      try {
        const [status] = broken.hotline.plugins.statuses();
        expect(status?.state).toBe("failed");
        expect(status?.error).toContain(error);
      } finally {
        await broken.stop();
      }
    }
  }, 20_000);
});

describe("the demo sign-in page is served only when asked for", () => {
  test("with real credentials and no settings, the plugin does not load and says what to set", async () => {
    const bot = await startTestBot({ plugins: [PLUGIN, "plugins/echo.ts"] });
    try {
      const statuses = bot.hotline.plugins.statuses();
      const accountLink = statuses.find((status) => status.file === "account-link/index.ts");
      expect(accountLink?.state).toBe("failed");
      expect(accountLink?.error).toContain("no sign-in page: set loginUrl and providerSecret");
      expect(accountLink?.error).toContain('"demo": true');

      // The attack: "link", then claim someone else's account on the demo page.
      const mallory = newUser();
      const link = event.text("link", { chat: user(mallory) });
      await bot.deliver(link);
      expect(tokensOf(bot, mallory)).toEqual([]);
      const page = await fetch(`${bot.url}/plugins/account-link/login?linkToken=any`);
      const claim = await demoSignIn(bot, "any", "alice@example.com");
      for (const refused of [page, claim]) {
        expect(refused.status).toBe(404);
        expect(refused.headers.get("location")).toBeNull();
      }

      // The host serves on: the webhook took the event, and echo answered it.
      expect(statuses.find((status) => status.name === "echo")?.state).toBe("loaded");
      expect(texts(bot.repliesTo(link))).toEqual(["link"]);
    } finally {
      await bot.stop();
    }
  });

  test("demo is ignored when loginUrl is set: users go to the provider only", async () => {
    const loginUrl = "https://shop.example/line/login";
    const bot = await start({ ...DEMO, loginUrl, providerSecret: SECRET });
    try {
      const signIn = await askToLink(bot, newUser());
      expect(signIn.origin + signIn.pathname).toBe(loginUrl);
      const linkToken = signIn.searchParams.get("linkToken") ?? "";
      const page = await fetch(`${bot.url}/plugins/account-link/login?linkToken=${linkToken}`);
      expect(page.status).toBe(404);
      expect((await demoSignIn(bot, linkToken, "alice")).status).toBe(404);
    } finally {
      await bot.stop();
    }
  });
});

describe("housekeeping", () => {
  const bot = sharedBot({ ...DEMO, keepAttemptsDays: 2 });

  test("prunes expired link tokens at once and attempts after keepAttemptsDays; keeps links", async () => {
    const alice = newUser();
    const nonce = await signedIn(bot(), alice, "alice");
    await bot().deliver(event.accountLink("ok", nonce, { chat: user(alice) }));
    await askToLink(bot(), newUser());
    const db = bot().pluginDb;
    expect(await db.select().from(linkTokens)).toHaveLength(2);

    await bot().advance(TEN_MINUTES + CLOCK_SLACK_MS);
    await bot().runJob("account-link", "prune");
    expect(await db.select().from(linkTokens)).toEqual([]);
    expect(await db.select().from(linkAttempts)).toHaveLength(1);

    await bot().advance(2 * 24 * 3_600_000);
    await bot().runJob("account-link", "prune");
    expect(await db.select().from(linkAttempts)).toEqual([]);
    expect((await linkOf(bot(), alice))?.providerUserId).toBe("alice");
  });
});

describe("security primitives", () => {
  test("constantTimeEqual compares the UTF-8 bytes, whatever the lengths", () => {
    expect(constantTimeEqual("sécret-🔑", "sécret-🔑")).toBe(true);
    expect(constantTimeEqual("sécret-🔑", "secret-🔑")).toBe(false);
    expect(constantTimeEqual("abc", "abd")).toBe(false);
    expect(constantTimeEqual("ab", "abc")).toBe(false);
    expect(constantTimeEqual("abc", "ab")).toBe(false);
    expect(constantTimeEqual("abc\0", "abc")).toBe(false);
    expect(constantTimeEqual("", "abc")).toBe(false);
    expect(constantTimeEqual("", "")).toBe(true);
  });

  test("nonces are 256 random bits in base64url, never repeated", () => {
    const nonces = new Set(Array.from({ length: 1000 }, newNonce));
    expect(nonces.size).toBe(1000);
    for (const nonce of nonces) expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
