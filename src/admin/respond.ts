/** What every admin route shares: the token check, JSON answers, and 400s that say what is wrong. */
import type { z } from "zod";
import { bearerCheck } from "./auth.ts";

export class BadRequest extends Error {}

export function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Response {
  return Response.json(body, { status, headers: { "cache-control": "no-store", ...headers } });
}

/** The first problem, as one line that says where: `deliveries.0.plugin: expected string…`. */
export function parse<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue?.path.length ? `${where}.${issue.path.join(".")}` : where;
  throw new BadRequest(`${path}: ${issue?.message ?? "invalid"}`);
}

export async function readJson(request: Request): Promise<unknown> {
  const text = await request.text();
  try {
    return JSON.parse(text === "" ? "{}" : text);
  } catch {
    throw new BadRequest("body is not valid JSON");
  }
}

export type RouteHandler = (
  request: Request,
  params: Record<string, string>,
) => Response | Promise<Response>;

export type Guard = (
  handler: RouteHandler,
) => (context: { request: Request; params: Record<string, string> }) => Promise<Response>;

/** Every route: the token first, then the handler; a BadRequest becomes a 400. */
export function guardWith(token: string): Guard {
  const authorized = bearerCheck(token);
  return (handler) =>
    async ({ request, params }) => {
      if (!authorized(request))
        return json(
          401,
          { error: "unauthorized: send Authorization: Bearer <ADMIN_TOKEN>" },
          { "www-authenticate": 'Bearer realm="hotline admin"' },
        );
      try {
        return await handler(request, params);
      } catch (error) {
        if (error instanceof BadRequest) return json(400, { error: error.message });
        throw error;
      }
    };
}
