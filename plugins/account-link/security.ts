/** The two secrets-handling primitives of the flow, in web-standard JavaScript only. */

/**
 * A nonce for LINE's account-link redirect: 256 bits from the platform's secure generator, as
 * base64url (43 characters, no padding): unguessable, and safe in a URL as it is.
 */
export function newNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

const utf8 = new TextEncoder();

/**
 * Whether `given` equals `expected`, in a time that depends on `expected`'s length only. A plain
 * `===` returns at the first differing character, so how long a wrong guess takes would tell an
 * attacker how much of it was right. Here every byte of `expected` is always visited and the
 * differences are OR-ed together; nothing branches on them.
 */
export function constantTimeEqual(given: string, expected: string): boolean {
  const a = utf8.encode(given);
  const b = utf8.encode(expected);
  let difference = a.length ^ b.length;
  for (let i = 0; i < b.length; i++) difference |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return difference === 0;
}
