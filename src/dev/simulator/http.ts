/** How the simulator's API answers: JSON that is never cached, and errors that name the problem. */
import type { z } from "zod";

/** A request the simulator cannot act on; `status` is the answer's (400, 413, 422). */
export class SimulatorRequestError extends Error {
  override readonly name = "SimulatorRequestError";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function json(status: number, body: unknown): Response {
  return Response.json(body, { status, headers: { "cache-control": "no-store" } });
}

/** The input as the schema reads it, or a 400 naming the first field that is wrong. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new SimulatorRequestError(
    400,
    `${issue?.path.join(".") || "body"}: ${issue?.message ?? "invalid"}`,
  );
}

/** The JSON body; undefined when it is not JSON, which the schema then refuses. */
export function jsonBody(request: Request): Promise<unknown> {
  return request.json().catch(() => undefined);
}

/** 200 with what `handle` returns, or the request error it threw as `{ error }`. */
export async function answer(handle: () => Promise<unknown>): Promise<Response> {
  try {
    return json(200, await handle());
  } catch (error) {
    if (error instanceof SimulatorRequestError) return json(error.status, { error: error.message });
    throw error;
  }
}
