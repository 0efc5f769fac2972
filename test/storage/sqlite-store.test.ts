import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteStore } from "../../src/storage/sqlite/sqlite-store.ts";
import type { Store } from "../../src/storage/store.ts";
import { describeStoreContract } from "./store-contract.ts";

describeStoreContract("SQLite", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "hotline-store-"));
  let last: Store | undefined;
  return {
    async open(clock) {
      last = SqliteStore.open(dataDir, clock);
      return last;
    },
    async reopen(clock) {
      await last?.close();
      last = SqliteStore.open(dataDir, clock);
      return last;
    },
    cleanup: () => rmSync(dataDir, { recursive: true, force: true }),
  };
});
