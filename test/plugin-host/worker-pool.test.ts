import { expect, test } from "bun:test";
import { platform } from "../../src/platform/mod.ts";
import { WorkerPool } from "../../src/plugin-host/worker-pool.ts";

test("a pool keeps one spare booted ahead, and boots none once released", async () => {
  const started: Worker[] = [];
  const pool = new WorkerPool({
    start: (url) => {
      const worker = platform.startWorker(url, { env: {} });
      started.push(worker.worker);
      return worker;
    },
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

test("a spare not taken within the idle time is terminated; the next take boots afresh", async () => {
  const started: Worker[] = [];
  const { promise: spareDropped, resolve } = Promise.withResolvers<Worker>();
  const pool = new WorkerPool({
    idleMs: 50,
    start: (url) => {
      const handle = platform.startWorker(url, { env: {} });
      const { worker } = handle;
      const terminate = worker.terminate.bind(worker);
      worker.terminate = () => {
        resolve(worker);
        terminate();
      };
      started.push(worker);
      return handle;
    },
  });
  const first = await pool.take();
  expect(started).toHaveLength(2);
  expect(await spareDropped).toBe(started[1] as Worker);

  const second = await pool.take();
  // Not the dropped spare: a fresh worker, and a fresh spare behind it.
  expect(started).toHaveLength(4);
  expect(second.worker).toBe(started[2] as Worker);
  await pool.release();
  for (const booted of [first, second]) booted.worker.terminate();
});
