/**
 * The limit of the stack: a bare `Bun.serve` that reads the body, verifies `x-line-signature`
 * (node:crypto HMAC-SHA256, constant-time compare) and answers 200. No JSON, no storage, no
 * processing: whatever hotline adds on top is measured against this.
 *
 *   LINE_CHANNEL_SECRET=… PORT=0 bun bench/baselines/limit.ts   prints {"port":…} once it listens
 */
import { Buffer } from "node:buffer";
import { createHmac, timingSafeEqual } from "node:crypto";

const secret = process.env.LINE_CHANNEL_SECRET;
if (!secret) throw new Error("LINE_CHANNEL_SECRET is required");

const headers = { "content-type": "application/json" };

const server = Bun.serve({
  hostname: process.env.HOST ?? "127.0.0.1",
  port: Number(process.env.PORT ?? 0),
  async fetch(request) {
    const signature = request.headers.get("x-line-signature");
    const body = new Uint8Array(await request.arrayBuffer());
    if (!signature) return new Response('{"error":"missing signature"}', { status: 401, headers });
    const expected = createHmac("sha256", secret).update(body).digest();
    const given = Buffer.from(signature, "base64");
    if (given.length !== expected.length || !timingSafeEqual(expected, given)) {
      return new Response('{"error":"invalid signature"}', { status: 401, headers });
    }
    return new Response("{}", { headers });
  },
});

console.log(JSON.stringify({ port: server.port }));
