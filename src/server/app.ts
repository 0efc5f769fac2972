import { type AnyElysia, Elysia } from "elysia";

/** The webhook route: its POSTs, and the answer to anything else sent to its path. */
export interface WebhookRoute {
  /** `channel`: the path's last segment under the webhook's; none for the default channel. */
  handle(request: Request, channel?: string): Promise<Response>;
  refuse(request: Request, status: 404 | 405): Response;
}

export interface AppRoutes {
  webhookPath: string;
  webhook: WebhookRoute;
  /** Alive: the process answers. */
  health(): Response;
  /** Ready: the database is open and the plugins are loaded. */
  ready(): Response | Promise<Response>;
  plugin(name: string, request: Request): Promise<Response>;
  /** Route groups added by other modules (metrics, admin, the simulator), as Elysia plugins. */
  extensions?: AnyElysia[];
}

/**
 * The HTTP surface. The webhook gets the untouched Request (`parse: "none"`): LINE signs the exact
 * bytes, so nothing may read or re-encode the body before the signature check.
 */
export function createApp(routes: AppRoutes) {
  let app = new Elysia()
    .use(webhookRoutes(routes.webhookPath, routes.webhook))
    .get("/healthz", () => routes.health())
    .get("/readyz", () => routes.ready())
    .all("/plugins/:name/*", ({ request, params }) => routes.plugin(params.name, request), {
      parse: "none",
    })
    .all("/plugins/:name", ({ request, params }) => routes.plugin(params.name, request), {
      parse: "none",
    });
  for (const extension of routes.extensions ?? []) app = app.use(extension);
  return app;
}

/**
 * POST to the webhook's path is the webhook. Other methods, and paths below it (a mistyped
 * webhook URL), are answered by the webhook too, so they are logged and counted rather than lost
 * in the router's 404.
 */
function webhookRoutes(path: string, webhook: WebhookRoute): AnyElysia {
  const base = path === "/" ? "" : path;
  const routes = new Elysia()
    .post(path, ({ request }) => webhook.handle(request), { parse: "none" })
    .all(path, ({ request }) => webhook.refuse(request, 405), { parse: "none" })
    // Another channel's webhook: which channels there are is the webhook's to say (they change
    // while running), so every name reaches it.
    .post(`${base}/:channel`, ({ request, params }) => webhook.handle(request, params.channel), {
      parse: "none",
    });
  if (path === "/") return routes;
  return routes
    .all(`${path}/:channel`, ({ request }) => webhook.refuse(request, 405), { parse: "none" })
    .all(`${path}/*`, ({ request }) => webhook.refuse(request, 404), { parse: "none" });
}
