import { type AnyElysia, Elysia } from "elysia";

export interface AppRoutes {
  webhookPath: string;
  webhook(request: Request): Promise<Response>;
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
    .post(routes.webhookPath, ({ request }) => routes.webhook(request), { parse: "none" })
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
