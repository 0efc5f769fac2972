import { describe } from "bun:test";
import { silentLogger } from "../../src/logging/logger.ts";
import { PostgresStore } from "../../src/storage/postgres/postgres-store.ts";
import type { Store } from "../../src/storage/store.ts";
import { freshSchema, TEST_DATABASE_URL } from "../helpers/postgres.ts";
import { describeStoreContract } from "./store-contract.ts";

describe.skipIf(!TEST_DATABASE_URL)("PostgreSQL", () => {
  describeStoreContract("PostgreSQL", () => {
    const schema = freshSchema();
    let last: Store | undefined;
    const open = async (clock: { now(): number }) => {
      last = await PostgresStore.open({
        databaseUrl: schema.url,
        clock,
        log: silentLogger,
        maxAttempts: 5,
      });
      return last;
    };
    return {
      open,
      async reopen(clock) {
        await last?.close();
        return open(clock);
      },
      cleanup: () => {
        void last?.close().then(() => schema.drop());
      },
    };
  });
});
