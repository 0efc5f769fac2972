import type { ServeOptions } from "./types.ts";

const plainTooLarge = () => new Response("Payload Too Large", { status: 413 });

/**
 * The server's cap on request bodies, for every route alike (plugin routes read whole bodies),
 * applied in JavaScript on every runtime: Bun's own cap would answer 413 before any of our code
 * runs, and the webhook must log and count that answer like all its others (Deno has no cap).
 *
 * A declared Content-Length over the cap gets 413 before the body is read; with a declared length
 * the HTTP layer delivers no more than that, so the body is passed on untouched (the webhook's
 * fast path). A chunked body is counted as it streams: the chunk that crosses the cap is still
 * handed on, so a handler with its own cap (the webhook's readBody) answers with its own 413, and
 * the next read fails; the answer to a request that went over is 413 whatever the handler made of
 * the error.
 */
export async function withBodyCap(request: Request, options: ServeOptions): Promise<Response> {
  const max = options.maxRequestBodySize;
  const tooLarge = () => options.tooLarge?.(request) ?? plainTooLarge();
  const declared = request.headers.get("content-length");
  if (declared !== null) return Number(declared) > max ? tooLarge() : options.fetch(request);
  if (!request.body) return options.fetch(request);
  let seen = 0;
  let exceeded = false;
  const body = request.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        if (exceeded) {
          controller.error(new Error(`request body exceeds ${max} bytes`));
          return;
        }
        seen += chunk.byteLength;
        exceeded = seen > max;
        controller.enqueue(chunk);
      },
    }),
  );
  const init: RequestInit & { duplex: "half" } = {
    method: request.method,
    headers: request.headers,
    body,
    duplex: "half",
  };
  const response = await options.fetch(new Request(request.url, init));
  return exceeded && response.status !== 413 ? tooLarge() : response;
}
