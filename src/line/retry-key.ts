import { createHash } from "node:crypto";

/**
 * A UUID derived from its parts, so the same logical push (same event, plugin and message slot)
 * carries the same X-Line-Retry-Key in every process that ever sends it.
 */
export function retryKey(...parts: Array<string | number>): string {
  const hex = createHash("sha256").update(parts.join("\u0000")).digest("hex");
  // Shaped as a version-5-style UUID: LINE only requires the UUID format.
  const variant = ((Number.parseInt(hex[16] ?? "0", 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
