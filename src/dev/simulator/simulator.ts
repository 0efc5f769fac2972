/**
 * The local chat simulator: a page at /dev that stands in for the LINE app in local mode. Every
 * action goes the real way: the backend builds the event LINE would send, signs it with the local
 * channel secret and posts it to the bot's own webhook (inbox → plugins → the LINE stand-in), and
 * the bot's answers are read back from what the stand-in received.
 */
import { readFileSync } from "node:fs";
import { desc, eq, inArray } from "drizzle-orm";
import { Elysia } from "elysia";
import { z } from "zod";
import type { Mentionee } from "../../core/events.ts";
import type { Logger } from "../../logging/logger.ts";
import type { SqlDatabase } from "../../platform/mod.ts";
import type { PluginHost } from "../../plugin-host/host.ts";
import { deliveries, inboxEvents } from "../../storage/sqlite/schema.ts";
import { signBody } from "../../webhook/signature.ts";
import { BoundedContents, type LineStandIn } from "../line-stand-in/mod.ts";
import { envelope, event, group, messageId, user } from "../testing/events.ts";
import { type ChatKey, type Entry, Transcript } from "./transcript.ts";

export interface SimulatorOptions {
  standIn: LineStandIn;
  channelSecret: string;
  /** Known once the server listens, after the routes are made. */
  webhookUrl(): string;
  botUrl(): string;
  plugins: Pick<PluginHost, "statuses">;
  db: SqlDatabase;
  log: Logger;
  now?: () => number;
}

/** The people in the simulation, with ids in LINE's format (U + 32 hex digits). */
export const PEOPLE = [
  { id: `U${"a11ce".padEnd(32, "0")}`, name: "Alice" },
  { id: `U${"b0b".padEnd(32, "0")}`, name: "Bob" },
  { id: `U${"ca201".padEnd(32, "0")}`, name: "Carol" },
] as const;
export const GROUP = { id: `C${"7ea3".padEnd(32, "0")}`, name: "Team" } as const;
/** How the bot is mentioned in the group: "@hotline". */
export const BOT_HANDLE = "hotline";

const personId = z.enum(PEOPLE.map((p) => p.id) as [string, ...string[]]);
const chatKind = z.enum(["user", "group"]);
const sendSchema = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("text"),
    chat: chatKind,
    user: personId,
    text: z.string().trim().min(1).max(5000),
  }),
  z.strictObject({
    type: z.literal("sticker"),
    chat: chatKind,
    user: personId,
    packageId: z.string().regex(/^\d+$/).default("446"),
    stickerId: z.string().regex(/^\d+$/).default("1988"),
  }),
  z.strictObject({
    type: z.literal("unsend"),
    chat: chatKind,
    user: personId,
    messageId: z.string().min(1).max(64),
  }),
  z.strictObject({
    type: z.literal("beacon"),
    user: personId,
    hwid: z
      .string()
      .regex(/^[0-9a-f]{10}$/, "a beacon hardware id is 10 hex digits")
      .default("d41d8cd98f"),
    beacon: z.enum(["enter", "banner", "stay"]).default("enter"),
  }),
  z.strictObject({ type: z.literal("follow"), user: personId }),
  z.strictObject({ type: z.literal("unfollow"), user: personId }),
]);
const uploadQuery = z.strictObject({
  chat: chatKind,
  user: personId,
  name: z.string().min(1).max(255).default("upload"),
});
const accountLinkSchema = z.strictObject({
  user: personId,
  url: z.url(),
  providerUserId: z.string().trim().min(1).max(255),
});

const ENTITIES: Record<string, string> = {
  "&amp;": "&",
  "&lt;": "<",
  "&gt;": ">",
  "&quot;": '"',
  "&#39;": "'",
};
const unescapeHtml = (value: string) =>
  value.replace(/&(?:amp|lt|gt|quot|#39);/g, (entity) => ENTITIES[entity] ?? entity);
const attribute = (attributes: string, name: string) =>
  new RegExp(`\\b${name}\\s*=\\s*"([^"]*)"`, "i").exec(attributes)?.[1];
/** The page's heading: what a problem page says went wrong. */
const headingOf = (html: string) =>
  unescapeHtml(/<h1>([\s\S]*?)<\/h1>/i.exec(html)?.[1]?.trim() ?? "no explanation");

/** The sign-in form as a browser would submit it: its action, hidden fields and the id field. */
function parseForm(
  html: string,
): { action: string; fields: Array<[string, string]>; idField: string } | undefined {
  const form = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) return undefined;
  const fields: Array<[string, string]> = [];
  let idField: string | undefined;
  for (const input of (form[2] ?? "").matchAll(/<input\b([^>]*)>/gi)) {
    const attributes = input[1] ?? "";
    const name = attribute(attributes, "name");
    if (!name) continue;
    const type = (attribute(attributes, "type") ?? "text").toLowerCase();
    if (type === "hidden") fields.push([name, unescapeHtml(attribute(attributes, "value") ?? "")]);
    else idField ??= name;
  }
  if (!idField) return undefined;
  return { action: unescapeHtml(attribute(form[1] ?? "", "action") ?? ""), fields, idField };
}

function chatOfRecipient(to: unknown): ChatKey | undefined {
  if (typeof to !== "string") return undefined;
  if (to.startsWith("U")) return `user:${to}`;
  if (to.startsWith("C")) return `group:${to}`;
  if (to.startsWith("R")) return `room:${to}`;
  return undefined;
}

function json(status: number, body: unknown): Response {
  return Response.json(body, { status, headers: { "cache-control": "no-store" } });
}

function invalid(error: z.ZodError): Response {
  const issue = error.issues[0];
  return json(400, {
    error: `${issue?.path.join(".") || "body"}: ${issue?.message ?? "invalid"}`,
  });
}

/** Parses a JSON body with the schema: 400 naming the problem, or the handler's answer. */
async function withJson<S extends z.ZodType>(
  request: Request,
  schema: S,
  handle: (input: z.output<S>) => Response | Promise<Response>,
): Promise<Response> {
  const parsed = schema.safeParse(await request.json().catch(() => undefined));
  return parsed.success ? handle(parsed.data) : invalid(parsed.error);
}

function mediaType(contentType: string): "image" | "video" | "audio" | "file" {
  const top = contentType.split("/")[0];
  return top === "image" || top === "video" || top === "audio" ? top : "file";
}

const encoder = new TextEncoder();
/** How often new bot messages are looked for while a page is connected. */
const SYNC_MS = 100;
/** Bun closes connections idle for 10 s: a comment line keeps the event stream open. */
const KEEPALIVE_MS = 5000;
const RECENT_EVENTS = 200;
const KEPT_CONTENT = 100;

export class Simulator {
  static readonly PATH = "/dev";
  static readonly MAX_UPLOAD_BYTES = 20 * 1024 * 1024;

  readonly #o: SimulatorOptions;
  readonly #transcript: Transcript;
  readonly #page: string;
  /** Reply token → the chat of the event that carried it: where the bot's reply goes. */
  readonly #replyChats = new Map<string, ChatKey>();
  /** Quote token → the text it quotes, to show what a bot's reply quotes. */
  readonly #quotes = new Map<string, string>();
  /** What users uploaded, so the page can show it (LINE keeps its copy at the stand-in). */
  readonly #content: Map<string, { bytes: Uint8Array; contentType: string }> =
    new BoundedContents();
  /** The simulator's recent webhook event ids, newest last: their deliveries are shown. */
  readonly #events: string[] = [];
  readonly #streams = new Set<() => void>();
  #requestsSeen = 0;
  #ticker: ReturnType<typeof setInterval> | undefined;

  constructor(options: SimulatorOptions) {
    this.#o = options;
    this.#transcript = new Transcript(options.now ?? Date.now);
    this.#page = readFileSync(new URL("./page.html", import.meta.url), "utf8");
    for (const person of PEOPLE)
      options.standIn.setProfile({ userId: person.id, displayName: person.name });
  }

  /** Closes the open event streams and stops looking for bot messages. */
  stop(): void {
    for (const close of [...this.#streams]) close();
    clearInterval(this.#ticker);
    this.#ticker = undefined;
  }

  routes() {
    const base = Simulator.PATH;
    return new Elysia({ prefix: base })
      .get(
        "",
        () =>
          new Response(this.#page, {
            headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
          }),
      )
      .get("/api/session", () => {
        this.#sync();
        return json(200, {
          bot: { userId: this.#o.standIn.botUserId, handle: BOT_HANDLE },
          people: PEOPLE,
          group: GROUP,
          transcript: this.#transcript.since(0),
        });
      })
      .get("/api/stream", ({ request }) => this.#stream(request))
      .get("/api/state", () => json(200, this.#state()))
      .get("/api/content/:id", ({ params }) => {
        const content = this.#content.get(params.id);
        if (!content) return json(404, { error: "no such content" });
        // Whatever was uploaded is served as data, never as a page of this origin: no sniffing,
        // a sandbox for anything rendered, and a download for what a browser would not show inline.
        const media = /^(image|video|audio)\//.test(content.contentType);
        return new Response(content.bytes.slice(), {
          headers: {
            "content-type": content.contentType,
            "cache-control": "no-store",
            "x-content-type-options": "nosniff",
            "content-security-policy": "sandbox; default-src 'none'",
            "content-disposition": media ? "inline" : "attachment",
          },
        });
      })
      .post(
        "/api/send",
        ({ request }) => withJson(request, sendSchema, (input) => this.#send(input)),
        { parse: "none" },
      )
      .post("/api/upload", ({ request }) => this.#upload(request), { parse: "none" })
      .post(
        "/api/account-link",
        ({ request }) => withJson(request, accountLinkSchema, (input) => this.#accountLink(input)),
        { parse: "none" },
      );
  }

  // ---------------------------------------------------------------- actions

  async #send(action: z.output<typeof sendSchema>): Promise<Response> {
    const person = PEOPLE.find((p) => p.id === action.user) ?? PEOPLE[0];
    if (action.type === "follow" || action.type === "unfollow" || action.type === "beacon") {
      const chat = `user:${person.id}`;
      const made =
        action.type === "follow"
          ? event.follow({ chat: user(person.id) })
          : action.type === "unfollow"
            ? event.unfollow({ chat: user(person.id) })
            : event.beacon(action.beacon, action.hwid, { chat: user(person.id) });
      const status = await this.#post(chat, made);
      const text =
        action.type === "follow"
          ? `${person.name} added the bot as a friend`
          : action.type === "unfollow"
            ? `${person.name} blocked the bot`
            : `${person.name}'s phone saw beacon ${action.hwid} (${action.beacon})`;
      const entry = this.#transcript.add({
        kind: "system",
        chat,
        text,
        eventId: made.webhookEventId,
        status,
      });
      return json(200, { entry });
    }

    const chat = action.chat === "group" ? `group:${GROUP.id}` : `user:${person.id}`;
    const source = action.chat === "group" ? group(GROUP.id, person.id) : user(person.id);
    if (action.type === "unsend") {
      // Unsent content is gone at LINE too: a late download gets 410.
      if (this.#content.delete(action.messageId))
        this.#o.standIn.setContentGone(action.messageId, 410);
      const made = event.unsend(action.messageId, { chat: source });
      const status = await this.#post(chat, made);
      const entry = this.#transcript.add({
        kind: "system",
        chat,
        text: `${person.name} unsent a message`,
        eventId: made.webhookEventId,
        status,
        unsent: action.messageId,
      });
      return json(200, { entry });
    }
    if (action.type === "sticker") {
      const made = event.sticker(action.packageId, action.stickerId, { chat: source });
      const status = await this.#post(chat, made);
      const { id, packageId, stickerId } = made.message;
      const entry = this.#transcript.add({
        kind: "user",
        chat,
        user: person.id,
        eventId: made.webhookEventId,
        status,
        message: { type: "sticker", id, packageId, stickerId },
      });
      return json(200, { entry });
    }
    const mention = action.chat === "group" ? this.#mentions(action.text) : [];
    const made = event.text(action.text, {
      chat: source,
      ...(mention.length > 0 ? { mention } : {}),
    });
    if (made.message.quoteToken) this.#remember(this.#quotes, made.message.quoteToken, action.text);
    const status = await this.#post(chat, made);
    const entry = this.#transcript.add({
      kind: "user",
      chat,
      user: person.id,
      eventId: made.webhookEventId,
      status,
      message: { type: "text", id: made.message.id, text: action.text },
    });
    return json(200, { entry });
  }

  /** "@hotline" mentions the bot, "@Bob" a person: as LINE marks them in a group message. */
  #mentions(text: string): Mentionee[] {
    const names = [BOT_HANDLE, ...PEOPLE.map((p) => p.name)].join("|");
    const found: Mentionee[] = [];
    for (const match of text.matchAll(new RegExp(`@(${names})\\b`, "gi"))) {
      const name = (match[1] ?? "").toLowerCase();
      const self = name === BOT_HANDLE;
      const person = PEOPLE.find((p) => p.name.toLowerCase() === name);
      found.push({
        index: match.index ?? 0,
        length: match[0].length,
        type: "user",
        userId: self ? this.#o.standIn.botUserId : (person?.id ?? ""),
        isSelf: self,
      });
    }
    return found;
  }

  async #upload(request: Request): Promise<Response> {
    const query = uploadQuery.safeParse(Object.fromEntries(new URL(request.url).searchParams));
    if (!query.success) return invalid(query.error);
    const bytes = new Uint8Array(await request.arrayBuffer());
    if (bytes.length === 0) return json(400, { error: "the upload is empty" });
    if (bytes.length > Simulator.MAX_UPLOAD_BYTES)
      return json(413, { error: `uploads are limited to ${Simulator.MAX_UPLOAD_BYTES} bytes` });
    const { chat: kind, user: userId, name } = query.data;
    const contentType = request.headers.get("content-type") || "application/octet-stream";
    const type = mediaType(contentType);
    const id = messageId();
    // The stand-in serves the bytes as LINE's content API would: plugins really download them.
    this.#o.standIn.addContent(id, { bytes, contentType });
    this.#remember(this.#content, id, { bytes, contentType });
    const chat = kind === "group" ? `group:${GROUP.id}` : `user:${userId}`;
    const source = kind === "group" ? group(GROUP.id, userId) : user(userId);
    const options = { chat: source, messageId: id };
    const made =
      type === "image"
        ? event.image(options)
        : type === "video"
          ? event.video(options)
          : type === "audio"
            ? event.audio(options)
            : event.file(name, bytes.length, options);
    const status = await this.#post(chat, made);
    const entry = this.#transcript.add({
      kind: "user",
      chat,
      user: userId,
      eventId: made.webhookEventId,
      status,
      message: {
        type,
        id,
        contentType,
        size: bytes.length,
        ...(type === "file" ? { fileName: name } : {}),
      },
    });
    return json(200, { entry });
  }

  /**
   * The account-link flow, as a phone would run it: open the sign-in URL from the bot's reply,
   * submit its form, and follow the redirect to LINE — which is where the simulator steps in:
   * it reads the nonce from that redirect and sends the accountLink event LINE would send.
   */
  async #accountLink(input: z.output<typeof accountLinkSchema>): Promise<Response> {
    const person = PEOPLE.find((p) => p.id === input.user) ?? PEOPLE[0];
    const chat = `user:${person.id}`;
    // Always this bot's own server: the link may name PUBLIC_URL, and the simulator must not
    // become a way to make requests to anywhere else.
    const bot = this.#o.botUrl();
    const given = new URL(input.url);
    const signIn = new URL(given.pathname + given.search, bot);
    const fail = (error: string) => json(422, { error });

    const page = await fetch(signIn, { redirect: "manual" });
    const html = await page.text();
    if (page.status !== 200)
      return fail(`the sign-in page answered ${page.status}: ${headingOf(html)}`);
    const form = parseForm(html);
    if (!form) return fail("the sign-in page has no form to fill in");
    const body = new URLSearchParams(form.fields);
    body.set(form.idField, input.providerUserId);
    const action = new URL(form.action || signIn.href, signIn);
    const submitted = await fetch(new URL(action.pathname + action.search, bot), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body,
      redirect: "manual",
    });
    const location = submitted.headers.get("location");
    if (submitted.status < 300 || submitted.status >= 400 || !location)
      return fail(`signing in answered ${submitted.status}: ${headingOf(await submitted.text())}`);
    await submitted.body?.cancel();
    const redirect = new URL(location, action);
    const nonce = redirect.searchParams.get("nonce");
    if (redirect.hostname !== "access.line.me" || !nonce)
      return fail(`signing in redirected to ${redirect.origin}${redirect.pathname}, not to LINE`);

    // LINE checks that the person signing in is the user the link token was issued to.
    const linkToken = redirect.searchParams.get("linkToken");
    const issuedTo = this.#o.standIn.linkTokens.find((t) => t.linkToken === linkToken)?.userId;
    const result = issuedTo === person.id ? "ok" : "failed";
    const made =
      result === "ok"
        ? event.accountLink("ok", nonce, { chat: user(person.id) })
        : event.accountLink("failed", nonce);
    const status = await this.#post(chat, made);
    const entry = this.#transcript.add({
      kind: "system",
      chat,
      text:
        result === "ok"
          ? `${person.name} signed in as "${input.providerUserId}"; LINE confirmed the link`
          : `${person.name} signed in with a link issued to someone else; LINE reported the link failed`,
      eventId: made.webhookEventId,
      status,
    });
    return json(200, { entry, result, nonce });
  }

  /** Signs and posts one event to the bot's webhook, as LINE does; resolves with the status. */
  async #post(
    chat: ChatKey,
    made: { webhookEventId: string; replyToken?: string },
  ): Promise<number> {
    if (made.replyToken) {
      this.#o.standIn.issueReplyToken(made.replyToken);
      this.#remember(this.#replyChats, made.replyToken, chat);
    }
    const body = JSON.stringify(envelope([made], this.#o.standIn.botUserId));
    const response = await fetch(this.#o.webhookUrl(), {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-line-signature": signBody(this.#o.channelSecret, body),
      },
      body,
    });
    await response.body?.cancel();
    this.#events.push(made.webhookEventId);
    if (this.#events.length > RECENT_EVENTS) this.#events.shift();
    if (response.status !== 200)
      this.#o.log.warn(
        { webhookEventId: made.webhookEventId, status: response.status },
        "simulator: the webhook refused an event",
      );
    return response.status;
  }

  /** Bounded maps: the oldest entries go first. */
  #remember<V>(map: Map<string, V>, key: string, value: V): void {
    map.set(key, value);
    const limit = map === this.#content ? KEPT_CONTENT : 1000;
    while (map.size > limit) map.delete(map.keys().next().value as string);
  }

  // ---------------------------------------------------------------- what the bot sent

  /** Turns replies and pushes the stand-in accepted since last time into chat messages. */
  #sync(): void {
    const requests = this.#o.standIn.requests;
    if (requests.length < this.#requestsSeen) this.#requestsSeen = 0; // the stand-in was reset
    for (; this.#requestsSeen < requests.length; this.#requestsSeen++) {
      const request = requests[this.#requestsSeen];
      if (!request || request.status >= 300 || request.faulted) continue;
      const via = request.path.endsWith("/message/reply")
        ? "reply"
        : request.path.endsWith("/message/push")
          ? "push"
          : undefined;
      if (!via) continue;
      const body = request.body as { replyToken?: string; to?: string; messages?: unknown[] };
      const chat =
        via === "reply" ? this.#replyChats.get(body.replyToken ?? "") : chatOfRecipient(body.to);
      // Replies to events the simulator did not send (`bun run send`) belong to no chat here.
      if (!chat) continue;
      for (const message of body.messages ?? []) {
        const object = message as Record<string, unknown>;
        const quoted =
          typeof object.quoteToken === "string" ? this.#quotes.get(object.quoteToken) : undefined;
        this.#transcript.add({
          kind: "bot",
          chat,
          via,
          message: object,
          ...(quoted ? { quoted } : {}),
        });
      }
    }
  }

  /** Server-sent events: the transcript from `Last-Event-ID` (or `?after=`) on, then live. */
  #stream(request: Request): Response {
    const url = new URL(request.url);
    const after = Number(request.headers.get("last-event-id") ?? url.searchParams.get("after"));
    let close = () => {};
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        const write = (text: string) => {
          try {
            controller.enqueue(encoder.encode(text));
          } catch {
            close();
          }
        };
        const send = (entry: Entry) =>
          write(`id: ${entry.seq}\nevent: entry\ndata: ${JSON.stringify(entry)}\n\n`);
        // Something at once: the response (and the page's "open") waits for the first bytes.
        write("retry: 1000\n\n");
        this.#sync();
        for (const entry of this.#transcript.since(Number.isFinite(after) ? after : 0)) send(entry);
        const unlisten = this.#transcript.listen(send);
        const keepalive = setInterval(() => write(": keepalive\n\n"), KEEPALIVE_MS);
        close = () => {
          if (!this.#streams.delete(close)) return;
          unlisten();
          clearInterval(keepalive);
          try {
            controller.close();
          } catch {
            // Already closed by the client.
          }
          if (this.#streams.size === 0) {
            clearInterval(this.#ticker);
            this.#ticker = undefined;
          }
        };
        this.#streams.add(close);
        // The stand-in has no change feed; while a page watches, look for new messages often.
        this.#ticker ??= setInterval(() => this.#sync(), SYNC_MS);
      },
      cancel: () => close(),
    });
    return new Response(body, {
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store",
      },
    });
  }

  /** The side panel: plugins, and the deliveries of the simulator's recent events. */
  #state() {
    const plugins = this.#o.plugins.statuses().map((status) => ({
      name: status.name,
      file: status.file,
      state: status.state,
      version: status.version?.slice(0, 8),
      subscriptions: status.subscriptions,
      error: status.error,
      delivered: status.delivered,
      failed: status.failed,
    }));
    const rows =
      this.#events.length === 0
        ? []
        : this.#o.db
            .select({
              eventId: deliveries.eventId,
              plugin: deliveries.plugin,
              status: deliveries.status,
              attempts: deliveries.attempts,
              error: deliveries.lastError,
              updatedAt: deliveries.updatedAt,
              type: inboxEvents.type,
            })
            .from(deliveries)
            .innerJoin(inboxEvents, eq(inboxEvents.id, deliveries.eventId))
            .where(inArray(deliveries.eventId, this.#events))
            .orderBy(desc(deliveries.updatedAt))
            .all();
    const receipts: Record<string, Array<{ plugin: string; status: string }>> = {};
    for (const row of rows) receipts[row.eventId] = [...(receipts[row.eventId] ?? []), row];
    return { plugins, receipts, recent: rows.slice(0, 12) };
  }
}
