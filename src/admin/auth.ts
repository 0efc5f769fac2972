import { createHash, timingSafeEqual } from "node:crypto";

const digest = (value: string) => createHash("sha256").update(value).digest();

/**
 * Checks `Authorization: Bearer <token>` in constant time: both sides are hashed first, so the
 * comparison always sees two 32-byte digests, whatever the length of what was sent.
 */
export function bearerCheck(token: string): (request: Request) => boolean {
  const expected = digest(token);
  return (request) => {
    const header = request.headers.get("authorization") ?? "";
    const given = /^Bearer +(\S+)\s*$/i.exec(header)?.[1];
    return given !== undefined && timingSafeEqual(digest(given), expected);
  };
}
