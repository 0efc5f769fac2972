import { Buffer } from "node:buffer";
import { createHmac, timingSafeEqual } from "node:crypto";

/** LINE signs the raw request bytes: base64(HMAC-SHA256(channelSecret, body)). */
export function signBody(channelSecret: string, body: Uint8Array | string): string {
  return createHmac("sha256", channelSecret).update(body).digest("base64");
}

const BASE64 = /^[A-Za-z0-9+/]{43}=$/;

/**
 * Constant-time check of an `x-line-signature` header against the raw body. A header that is not
 * the base64 of 32 bytes is rejected before any comparison, so the compare always sees equal lengths.
 */
export function verifySignature(
  channelSecret: string,
  body: Uint8Array,
  signature: string | null | undefined,
): boolean {
  if (!signature || !BASE64.test(signature)) return false;
  const expected = createHmac("sha256", channelSecret).update(body).digest();
  return timingSafeEqual(expected, Buffer.from(signature, "base64"));
}
