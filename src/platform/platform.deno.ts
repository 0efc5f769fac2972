import type { Platform } from "./types.ts";

// Filled in by the Deno issue: node:sqlite behind the same drizzle interface and Deno.serve.
export const platform: Platform = {
  name: "deno",
  openSqlite() {
    throw new Error("hotline: the Deno platform adapter is not implemented yet");
  },
  serve() {
    throw new Error("hotline: the Deno platform adapter is not implemented yet");
  },
};
