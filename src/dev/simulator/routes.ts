/** The simulator's HTTP surface: its page, and the JSON and event-stream API the page uses. */
import { readFileSync } from "node:fs";
import { Elysia } from "elysia";
import { answer, json, jsonBody, parseInput } from "./http.ts";
import type { RequestGuard } from "./request-guard.ts";
import {
  type AccountLinkInput,
  accountLinkSchema,
  channelChoice,
  richMenuQuery,
  type SendAction,
  sendSchema,
  type UploadQuery,
  uploadQuery,
} from "./schemas.ts";

/** What the routes call; each answer is sent as JSON unless it is a Response. */
export interface SimulatorApi {
  session(): unknown;
  state(): Promise<unknown>;
  stream(request: Request): Response;
  content(messageId: string): Response;
  send(action: SendAction): Promise<unknown>;
  upload(query: UploadQuery, request: Request): Promise<unknown>;
  accountLink(input: AccountLinkInput): Promise<unknown>;
  richMenu(userId: string): unknown;
  richMenuImage(userId: string, richMenuId: string): Response;
  /** Picks the LINE channel the next events go to. */
  channel(name: string): unknown;
}

export function simulatorRoutes(prefix: string, api: SimulatorApi, guard: RequestGuard) {
  const read = (file: string) => readFileSync(new URL(file, import.meta.url), "utf8");
  // One document, no other request: the renderers of rich messages go inline.
  const page = read("./page.html").replace(
    "<script>/* rich-messages.js */</script>",
    () => `<script>\n${read("./rich-messages.js")}</script>`,
  );
  const queryOf = (request: Request) => Object.fromEntries(new URL(request.url).searchParams);
  return new Elysia({ prefix })
    .onBeforeHandle(({ request }) => guard.refuse(request))
    .get(
      "",
      () =>
        new Response(page, {
          headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
        }),
    )
    .get("/api/session", () => json(200, api.session()))
    .get("/api/stream", ({ request }) => api.stream(request))
    .get("/api/state", async () => json(200, await api.state()))
    .get("/api/content/:id", ({ params }) => api.content(params.id))
    .get("/api/rich-menu", ({ request }) =>
      answer(async () => ({
        richMenu: api.richMenu(parseInput(richMenuQuery, queryOf(request)).user),
      })),
    )
    .get("/api/rich-menu/:id/image", ({ params, request }) => {
      const query = richMenuQuery.safeParse(queryOf(request));
      if (!query.success) return json(400, { error: "user: unknown" });
      return api.richMenuImage(query.data.user, params.id);
    })
    .post(
      "/api/send",
      ({ request }) =>
        answer(async () => api.send(parseInput(sendSchema, await jsonBody(request)))),
      { parse: "none" },
    )
    .post(
      "/api/channel",
      ({ request }) =>
        answer(async () => api.channel(parseInput(channelChoice, await jsonBody(request)).channel)),
      { parse: "none" },
    )
    .post(
      "/api/upload",
      ({ request }) =>
        answer(async () => api.upload(parseInput(uploadQuery, queryOf(request)), request)),
      { parse: "none" },
    )
    .post(
      "/api/account-link",
      ({ request }) =>
        answer(async () => api.accountLink(parseInput(accountLinkSchema, await jsonBody(request)))),
      { parse: "none" },
    );
}
