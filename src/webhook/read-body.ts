export class BodyTooLargeError extends Error {
  override name = "BodyTooLargeError";
  constructor(readonly limit: number) {
    super(`request body exceeds ${limit} bytes`);
  }
}

/**
 * Reads the exact wire bytes, stopping as soon as the cap is passed. The servers cap bodies too
 * (Bun itself, the Deno adapter while streaming); this keeps the webhook's own limit and answer
 * whatever serves it.
 */
export async function readBody(request: Request, limit: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > limit) throw new BodyTooLargeError(limit);
  if (!request.body) return new Uint8Array(0);
  // A declared length bounds the body (the server frames it by that length): read it in one go,
  // far cheaper than pulling chunks through a stream reader. Chunked bodies are counted as they come.
  if (request.headers.has("content-length")) {
    const body = new Uint8Array(await request.arrayBuffer());
    if (body.byteLength > limit) throw new BodyTooLargeError(limit);
    return body;
  }
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw new BodyTooLargeError(limit);
    }
    chunks.push(value);
  }
  if (chunks.length === 1 && chunks[0]) return chunks[0];
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}
