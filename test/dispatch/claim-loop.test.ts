/** The claim loop: asks coalesce, one loop at a time, a round repeats while it claims or is asked. */
import { expect, test } from "bun:test";
import { ClaimLoop } from "../../src/dispatch/claim-loop.ts";

function loop(rounds: Array<() => Promise<boolean>>) {
  const seen = { rounds: 0, failed: [] as unknown[], ended: 0 };
  let end: () => void = () => {};
  const ended = new Promise<void>((resolve) => {
    end = resolve;
  });
  const claims = new ClaimLoop({
    round: () => (rounds[seen.rounds++] ?? (async () => false))(),
    failed: (error) => seen.failed.push(error),
    ended: () => {
      seen.ended++;
      end();
    },
  });
  return { claims, seen, ended };
}

test("asks made in one turn start one loop, after the turn", async () => {
  const { claims, seen, ended } = loop([]);
  claims.ask();
  claims.ask();
  expect(claims.busy).toBe(true);
  expect(seen.rounds).toBe(0);
  await ended;
  expect(seen).toEqual({ rounds: 1, failed: [], ended: 1 });
  expect(claims.busy).toBe(false);
});

test("a round that claimed something, or was asked again meanwhile, is followed by another", async () => {
  const { claims, seen, ended } = loop([
    async () => true,
    async () => {
      claims.ask(); // a run finished while this round awaited the store
      await Promise.resolve();
      return false;
    },
  ]);
  claims.ask();
  await ended;
  // Rounds 1 (claimed), 2 (asked during it), 3 (nothing): one loop, ended once.
  expect(seen.rounds).toBe(3);
  expect(seen.ended).toBe(1);
});

test("a round that throws ends the loop, reported, and the next ask starts afresh", async () => {
  const fault = new Error("database is locked");
  const { claims, seen, ended } = loop([
    async () => {
      throw fault;
    },
  ]);
  claims.ask();
  await ended;
  expect(seen.failed).toEqual([fault]);
  expect(claims.busy).toBe(false);
});
