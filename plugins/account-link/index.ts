/**
 * account-link: links a user's LINE account to their account at your service (the "provider"),
 * with LINE's account-link flow (docs: messaging-api/linking-accounts):
 *
 *   1. the user sends "link" (a command) in a 1:1 chat → the plugin gets a link token from LINE and
 *      replies with a sign-in button (the provider's login page, or with `demo` the demo page
 *      served here);
 *   2. the user signs in → the plugin trades the link token for a nonce tied to the provider's
 *      user id, and the browser goes on to LINE with both;
 *   3. LINE checks that the person signing in is the LINE user the token was issued for and sends
 *      an accountLink event with the nonce → the plugin stores the link and confirms.
 *
 * "unlink" removes the link. Blocking the bot does not: LINE user ids survive a block, and the
 * user can still unlink later (or the provider can, through /provider/unlink). The two commands'
 * words are settings, so they are registered in `setup` rather than declared in `commands`.
 */
import type { AccountLinkEvent, BaseContext, EventContext, Source } from "hotline";
import { definePlugin, message, z } from "hotline";
import { and, eq, gt, isNull, lt, lte, or } from "hotline/db";
import { demoSignInPage, problemPage } from "./pages.ts";
import { constantTimeEqual, newNonce } from "./security.ts";
import { accountLinks, formerNames, linkAttempts, linkTokens } from "./tables.ts";

/** LINE's link tokens live 10 minutes; the nonce made from one expires with it. */
const LINK_TOKEN_TTL_MS = 10 * 60_000;
const LINE_ACCOUNT_LINK_URL = "https://access.line.me/dialog/bot/accountLink";
const PRUNE_INTERVAL_MS = 60 * 60_000;
const DAY_MS = 24 * 60 * 60_000;
/** What a provider user id may be: anything printable that fits a message comfortably. */
const providerUserId = z.string().trim().min(1).max(255);
/** A command is the first word of a message. */
const commandWord = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[^\s/]\S{0,31}$/u, 'must be one word of at most 32 characters, without a leading "/"');

// Strict: a misspelt key (`loginURL`, `Demo`) must stop the load, not be quietly ignored.
const settings = z
  .strictObject({
    /** The command (sent alone in a 1:1 chat, any case) that starts linking. */
    linkCommand: commandWord.default("link"),
    /** The command that removes the link. */
    unlinkCommand: commandWord.default("unlink"),
    /** Your service's sign-in page; the plugin adds `linkToken` to its query. */
    loginUrl: z.url({ protocol: /^https?$/ }).optional(),
    /**
     * Without loginUrl: serve the demo sign-in page, where anyone can claim any user id, to try
     * the flow. Off unless asked for: links made there prove nothing, yet other plugins trust
     * links. Local mode turns it on by default.
     */
    demo: z.boolean().default(false),
    /** Shared with your service: authenticates its calls to /provider/link and /provider/unlink. */
    providerSecret: z.string().min(32).optional(),
    /** How long sign-in attempts (and their outcome) are kept, for support and audits. */
    keepAttemptsDays: z.number().int().positive().default(30),
  })
  .refine((s) => s.loginUrl !== undefined || s.demo, {
    message:
      'no sign-in page: set loginUrl and providerSecret (the sign-in of your service), or "demo": true for the demo page, where anyone can claim any user id (never in production)',
    path: ["loginUrl"],
  })
  .refine((s) => s.loginUrl === undefined || s.providerSecret !== undefined, {
    message: "loginUrl needs providerSecret: your service must authenticate to get nonces",
    path: ["providerSecret"],
  })
  .refine((s) => s.linkCommand !== s.unlinkCommand, {
    message: "linkCommand and unlinkCommand must differ",
    path: ["unlinkCommand"],
  });

type Settings = z.output<typeof settings>;
/** What the routes (given the setup context) and the event handlers both have. */
type Ctx = BaseContext<Settings>;

export default definePlugin({
  name: "account-link",
  description: "Links LINE accounts to accounts of your service (LINE's account-link flow)",
  settings,
  tables: { accountLinks, linkTokens, linkAttempts },
  tableRenames: formerNames,
  setup(ctx) {
    // loginUrl wins over demo: a provider's sign-in never runs next to one where anyone is anyone.
    if (ctx.settings.loginUrl === undefined) {
      ctx.log.warn("demo: serving the DEMO sign-in page, where anyone can claim any user id");
      ctx.route("GET", "/login", (request) => showDemoSignIn(ctx, request));
      ctx.route("POST", "/login", (request) => submitDemoSignIn(ctx, request));
    }
    const secret = ctx.settings.providerSecret;
    if (secret !== undefined) {
      ctx.route("POST", "/provider/link", (request) => providerLink(ctx, request, secret));
      ctx.route("POST", "/provider/unlink", (request) => providerUnlink(ctx, request, secret));
    }
    ctx.command(ctx.settings.linkCommand, {
      description: "link your LINE account to your account with us",
      handle: (_args, event, c) => inOneToOne(c, event.source, offerLink),
    });
    ctx.command(ctx.settings.unlinkCommand, {
      description: "remove that link",
      handle: (_args, event, c) => inOneToOne(c, event.source, unlink),
    });
  },
  jobs: { prune: { every: PRUNE_INTERVAL_MS, handler: (_data, ctx) => prune(ctx) } },
  on: {
    // Not restricted with `chats: ["user"]`: a failed link comes without a source at all.
    accountLink: async (event, ctx) => {
      const { result, nonce } = event.link;
      if (result === "ok") return completeLink(ctx, event);
      if (result === "failed") return recordFailure(ctx, nonce);
      ctx.log.warn({ result }, "accountLink event with an unknown result; ignored");
    },
  },
});

// ---------------------------------------------------------------- chat commands

/**
 * A sign-in link is for one person: in a group or room anyone could tap it, so the commands work
 * in 1:1 chats only, and elsewhere say where to send them.
 */
async function inOneToOne(
  ctx: EventContext<Settings>,
  source: Source | undefined,
  command: (ctx: EventContext<Settings>, lineUserId: string) => Promise<void>,
): Promise<void> {
  if (source?.type === "user") return command(ctx, source.userId);
  await ctx.reply(
    `For your account's safety, send "${ctx.settings.linkCommand}" or "${ctx.settings.unlinkCommand}" to me in a 1:1 chat.`,
  );
}

async function offerLink(ctx: EventContext<Settings>, lineUserId: string): Promise<void> {
  const current = await findLink(ctx, lineUserId);
  if (current) {
    await ctx.reply(
      `Your LINE account is already linked to ${current.providerUserId}. Send "${ctx.settings.unlinkCommand}" first to link another account.`,
    );
    return;
  }
  // Read before asking LINE, so our 10 minutes never outlast LINE's: no nonce for a dead token.
  const issuedAt = ctx.now();
  const { linkToken } = await ctx.api.issueLinkToken(lineUserId);
  await ctx.db
    .insert(linkTokens)
    .values({ linkToken, lineUserId, issuedAt, expiresAt: issuedAt + LINK_TOKEN_TTL_MS });
  await ctx.reply(
    message.template("Sign in to link your account", {
      type: "buttons",
      text: "Sign in to link your LINE account. The button works once, within 10 minutes.",
      actions: [{ type: "uri", label: "Sign in", uri: signInUrl(ctx, linkToken) }],
    }),
  );
}

async function unlink(ctx: EventContext<Settings>, lineUserId: string): Promise<void> {
  const [removed] = await ctx.db
    .delete(accountLinks)
    .where(eq(accountLinks.lineUserId, lineUserId))
    .returning();
  await ctx.reply(
    removed
      ? `Your LINE account is no longer linked to ${removed.providerUserId}.`
      : `Your LINE account is not linked. Send "${ctx.settings.linkCommand}" to link it.`,
  );
}

async function findLink(ctx: Ctx, lineUserId: string) {
  const [link] = await ctx.db
    .select()
    .from(accountLinks)
    .where(eq(accountLinks.lineUserId, lineUserId));
  return link;
}

/** The provider's login page, or the demo page, with the link token in the query. */
function signInUrl(ctx: Ctx, linkToken: string): string {
  const base = ctx.publicUrl.replace(/\/+$/, "");
  const url = new URL(ctx.settings.loginUrl ?? `${base}/plugins/${ctx.name}/login`);
  url.searchParams.set("linkToken", linkToken);
  return url.href;
}

// ---------------------------------------------------------------- sign-in: link token → nonce

type TokenProblem = "unknown" | "used" | "expired";

const TOKEN_PROBLEMS: Record<TokenProblem, { status: number; error: string; title: string }> = {
  unknown: { status: 404, error: "unknown link token", title: "This link is not valid" },
  used: { status: 409, error: "link token already used", title: "This link was already used" },
  expired: { status: 410, error: "link token expired", title: "This link has expired" },
};

/** Why a link token cannot be used now, or undefined when it can. */
async function tokenProblem(ctx: Ctx, linkToken: string): Promise<TokenProblem | undefined> {
  const [token] = await ctx.db.select().from(linkTokens).where(eq(linkTokens.linkToken, linkToken));
  if (!token) return "unknown";
  if (token.usedAt !== null) return "used";
  if (token.expiresAt <= ctx.now()) return "expired";
  return undefined;
}

/**
 * Trades a link token this plugin issued for a nonce that remembers who signed in. The token is
 * claimed by the same statement that checks it, so two sign-ins racing on one token get one nonce.
 */
async function startLink(
  ctx: Ctx,
  linkToken: string,
  providerUserId: string,
): Promise<{ redirectUrl: string; expiresAt: number } | { problem: TokenProblem }> {
  const now = ctx.now();
  const started = await ctx.transaction(async (tx) => {
    const [token] = await tx
      .update(linkTokens)
      .set({ usedAt: now })
      .where(
        and(
          eq(linkTokens.linkToken, linkToken),
          isNull(linkTokens.usedAt),
          gt(linkTokens.expiresAt, now),
        ),
      )
      .returning();
    if (!token) return undefined;
    const nonce = newNonce();
    await tx.insert(linkAttempts).values({
      nonce,
      lineUserId: token.lineUserId,
      providerUserId,
      createdAt: now,
      expiresAt: token.expiresAt,
    });
    return { nonce, expiresAt: token.expiresAt };
  });
  if (!started) return { problem: (await tokenProblem(ctx, linkToken)) ?? "used" };
  const redirect = new URL(LINE_ACCOUNT_LINK_URL);
  redirect.searchParams.set("linkToken", linkToken);
  redirect.searchParams.set("nonce", started.nonce);
  return { redirectUrl: redirect.href, expiresAt: started.expiresAt };
}

function problemResponse(ctx: Ctx, problem: TokenProblem): Response {
  const { status, title } = TOKEN_PROBLEMS[problem];
  return problemPage(
    status,
    title,
    `Send "${ctx.settings.linkCommand}" to the bot in LINE to get a new sign-in link.`,
  );
}

async function showDemoSignIn(ctx: Ctx, request: Request): Promise<Response> {
  const linkToken = new URL(request.url).searchParams.get("linkToken");
  if (!linkToken) return problemResponse(ctx, "unknown");
  const problem = await tokenProblem(ctx, linkToken);
  return problem ? problemResponse(ctx, problem) : demoSignInPage(linkToken);
}

async function submitDemoSignIn(ctx: Ctx, request: Request): Promise<Response> {
  const form = new URLSearchParams(await request.text());
  const linkToken = form.get("linkToken") ?? "";
  const userId = providerUserId.safeParse(form.get("userId") ?? "");
  if (!userId.success) {
    return problemPage(400, "A user id is needed", "Go back and enter a user id to sign in.");
  }
  const started = await startLink(ctx, linkToken, userId.data);
  if ("problem" in started) return problemResponse(ctx, started.problem);
  // 303: the browser follows a POST's redirect with a GET, which is what LINE's endpoint takes.
  return new Response(null, {
    status: 303,
    headers: { location: started.redirectUrl, "cache-control": "no-store" },
  });
}

// ---------------------------------------------------------------- the provider's endpoints

const linkRequest = z.object({ linkToken: z.string().min(1), providerUserId });
const unlinkRequest = z.object({ providerUserId });

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return Response.json(body, { status, headers: { "cache-control": "no-store", ...headers } });
}

/** Checks `Authorization: Bearer <providerSecret>`; undefined when it is right. */
function refuseUnauthenticated(request: Request, secret: string): Response | undefined {
  const header = request.headers.get("authorization") ?? "";
  const given = /^Bearer +(.+)$/i.exec(header)?.[1] ?? "";
  if (constantTimeEqual(given, secret)) return undefined;
  return json(
    401,
    { error: "unauthorized" },
    { "www-authenticate": 'Bearer realm="account-link"' },
  );
}

async function readJson<T>(request: Request, schema: z.ZodType<T>): Promise<T | undefined> {
  const body: unknown = await request.json().catch(() => undefined);
  const parsed = schema.safeParse(body);
  return parsed.success ? parsed.data : undefined;
}

/**
 * Your service, once the user has signed in there, posts `{ linkToken, providerUserId }` and
 * redirects the user's browser to the `redirectUrl` it gets back.
 */
async function providerLink(ctx: Ctx, request: Request, secret: string): Promise<Response> {
  const refused = refuseUnauthenticated(request, secret);
  if (refused) return refused;
  const body = await readJson(request, linkRequest);
  if (!body) return json(400, { error: "expected JSON { linkToken, providerUserId }" });
  const started = await startLink(ctx, body.linkToken, body.providerUserId);
  if ("problem" in started) {
    const { status, error } = TOKEN_PROBLEMS[started.problem];
    return json(status, { error });
  }
  return json(200, started);
}

/** Your service posts `{ providerUserId }` when the user unlinks on its side. */
async function providerUnlink(ctx: Ctx, request: Request, secret: string): Promise<Response> {
  const refused = refuseUnauthenticated(request, secret);
  if (refused) return refused;
  const body = await readJson(request, unlinkRequest);
  if (!body) return json(400, { error: "expected JSON { providerUserId }" });
  const [removed] = await ctx.db
    .delete(accountLinks)
    .where(eq(accountLinks.providerUserId, body.providerUserId))
    .returning();
  return json(200, { unlinked: removed !== undefined });
}

// ---------------------------------------------------------------- LINE's verdict: nonce → link

/**
 * Consumes the nonce and stores the link, in one transaction: a nonce links once, only the LINE
 * user its link token was issued for, and only before it expires.
 */
async function completeLink(ctx: EventContext<Settings>, event: AccountLinkEvent): Promise<void> {
  const { nonce } = event.link;
  if (event.source?.type !== "user") {
    ctx.log.warn("accountLink ok event without a user source; ignored");
    return;
  }
  const lineUserId = event.source.userId;
  const now = ctx.now();
  const linked = await ctx.transaction(async (tx) => {
    const [attempt] = await tx
      .update(linkAttempts)
      .set({ status: "linked", resolvedAt: now, eventId: ctx.eventId })
      .where(
        and(
          eq(linkAttempts.nonce, nonce),
          eq(linkAttempts.status, "pending"),
          eq(linkAttempts.lineUserId, lineUserId),
          gt(linkAttempts.expiresAt, now),
        ),
      )
      .returning();
    if (!attempt) return undefined;
    // One to one: the new link replaces this LINE user's old one and the provider user's old one.
    await tx
      .delete(accountLinks)
      .where(
        or(
          eq(accountLinks.lineUserId, lineUserId),
          eq(accountLinks.providerUserId, attempt.providerUserId),
        ),
      );
    await tx
      .insert(accountLinks)
      .values({ lineUserId, providerUserId: attempt.providerUserId, linkedAt: now });
    return attempt.providerUserId;
  });
  const providerUserId = linked ?? (await linkedEarlierByThisEvent(ctx, nonce));
  if (providerUserId === undefined) {
    ctx.log.warn(
      { lineUserId, reason: await whyRefused(ctx, nonce, lineUserId) },
      "account link refused",
    );
    await ctx.reply(
      `Sorry, that sign-in could not be used: it expired or was already used. Send "${ctx.settings.linkCommand}" to try again.`,
    );
    return;
  }
  // LINE requires telling users, when they link, that they can unlink.
  await ctx.reply(
    `Your LINE account is now linked to ${providerUserId}. Send "${ctx.settings.unlinkCommand}" at any time to undo it.`,
  );
}

/** A retried delivery of the event that made the link (say its reply failed) confirms again. */
async function linkedEarlierByThisEvent(
  ctx: EventContext<Settings>,
  nonce: string,
): Promise<string | undefined> {
  const attempt = await findAttempt(ctx, nonce);
  return attempt?.status === "linked" && attempt.eventId === ctx.eventId
    ? attempt.providerUserId
    : undefined;
}

async function findAttempt(ctx: Ctx, nonce: string) {
  const [attempt] = await ctx.db.select().from(linkAttempts).where(eq(linkAttempts.nonce, nonce));
  return attempt;
}

async function whyRefused(ctx: Ctx, nonce: string, lineUserId: string): Promise<string> {
  const attempt = await findAttempt(ctx, nonce);
  if (!attempt) return "unknown nonce";
  if (attempt.status !== "pending") return `nonce already ${attempt.status}`;
  if (attempt.lineUserId !== lineUserId) return "nonce belongs to another LINE user";
  return "nonce expired";
}

/**
 * LINE says the link failed, typically because whoever opened the link is not the LINE user it was
 * issued for. The event has no source and no reply token: record it, and tell no one.
 */
async function recordFailure(ctx: EventContext<Settings>, nonce: string): Promise<void> {
  const [attempt] = await ctx.db
    .update(linkAttempts)
    .set({ status: "failed", resolvedAt: ctx.now(), eventId: ctx.eventId })
    .where(and(eq(linkAttempts.nonce, nonce), eq(linkAttempts.status, "pending")))
    .returning();
  if (attempt)
    ctx.log.warn({ lineUserId: attempt.lineUserId }, "LINE reported the account link failed");
  else ctx.log.warn("failed accountLink event for an unknown or already used nonce");
}

// ---------------------------------------------------------------- housekeeping

/** Expired link tokens are useless; attempts are kept `keepAttemptsDays` as the record. */
async function prune(ctx: Ctx): Promise<void> {
  const now = ctx.now();
  await ctx.db.delete(linkTokens).where(lte(linkTokens.expiresAt, now));
  await ctx.db
    .delete(linkAttempts)
    .where(lt(linkAttempts.createdAt, now - ctx.settings.keepAttemptsDays * DAY_MS));
}
