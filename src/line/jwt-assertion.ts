/**
 * The JWT a v2.1 channel access token is issued for: RS256, signed with the channel's assertion
 * key (a private JWK from the LINE Developers Console), as LINE's "Generate a JWT" describes.
 * WebCrypto does it; no JWT library is needed for one fixed shape.
 */

import { Buffer } from "node:buffer";

/** How long LINE accepts the assertion itself: at most 30 minutes. */
const ASSERTION_SECONDS = 30 * 60;

export interface AssertionRequest {
  channelId: string;
  keyId: string;
  privateKey: JsonWebKey;
  nowSeconds: number;
  /** How long the token it asks for should live. */
  tokenSeconds: number;
}

const encoder = new TextEncoder();

function base64url(bytes: Uint8Array | string): string {
  const data = typeof bytes === "string" ? encoder.encode(bytes) : bytes;
  return Buffer.from(data).toString("base64url");
}

export async function signedAssertion(request: AssertionRequest): Promise<string> {
  const header = { alg: "RS256", typ: "JWT", kid: request.keyId };
  const payload = {
    iss: request.channelId,
    sub: request.channelId,
    aud: "https://api.line.me/",
    exp: request.nowSeconds + ASSERTION_SECONDS,
    token_exp: request.tokenSeconds,
  };
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
  // A JWK from the console may say what it is for; the import decides that here.
  const { alg: _alg, use: _use, key_ops: _ops, ...jwk } = request.privateKey;
  const key = await crypto.subtle.importKey(
    "jwk",
    jwk,
    { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const signature = await crypto.subtle.sign("RSASSA-PKCS1-v1_5", key, encoder.encode(input));
  return `${input}.${base64url(new Uint8Array(signature))}`;
}
