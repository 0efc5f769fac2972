import { expect, test } from "bun:test";
import { platform } from "../../src/platform/mod.ts";
import { WorkerPool } from "../../src/plugin-host/worker-pool.ts";

test("a pool keeps one spare booted ahead, and boots none once released", async () => {
  const started: Worker[] = [];
  const pool = new WorkerPool((url) => {
    const worker = platform.startWorker(url, { env: {} });
    started.push(worker.worker);
    return worker;
  });
  const first = await pool.take();
  // The one taken, and the spare for the next take.
  expect(started).toHaveLength(2);
  const second = await pool.take();
  expect(second.worker).toBe(started[1] as Worker);
  expect(started).toHaveLength(3);

  await pool.release();
  // A take racing the host's stop gets its worker; no spare is left behind to hold the process.
  const late = await pool.take();
  expect(started).toHaveLength(4);
  expect(late.worker).toBe(started[3] as Worker);
  await pool.release();
  expect(started).toHaveLength(4);
  for (const booted of [first, second, late]) booted.worker.terminate();
});
