/**
 * The first module of a plugin worker on Deno, which has no per-worker environment: the worker's
 * permissions (see `startWorker` in platform.deno.ts) deny every variable but the kept ones, and
 * this module puts the worker's own copy in place of `process.env` and `Deno.env`, so reading any
 * other variable gives `undefined`, as on Bun, rather than a permission error (libraries read
 * `NODE_ENV` or `DEBUG` as they are imported), and writes stay in the worker. Then it imports the
 * worker's real entry. Both come in this module's URL: `?entry=<url>&env=<JSON>`.
 */
interface DenoEnv {
  get(name: string): string | undefined;
  set(name: string, value: string): void;
  delete(name: string): void;
  has(name: string): boolean;
  toObject(): Record<string, string>;
}

const params = new URL(import.meta.url).searchParams;
const entry = params.get("entry");
if (!entry) throw new Error("deno-worker.ts: no entry module in the URL");
const env: Record<string, string> = JSON.parse(params.get("env") ?? "{}");

const ownEnv: DenoEnv = {
  get: (name) => (Object.hasOwn(env, name) ? env[name] : undefined),
  set: (name, value) => {
    env[name] = String(value);
  },
  delete: (name) => {
    delete env[name];
  },
  has: (name) => Object.hasOwn(env, name),
  toObject: () => ({ ...env }),
};
(globalThis as unknown as { Deno: { env: DenoEnv } }).Deno.env = ownEnv;
const process = (await import("node:process")).default as unknown as { env: unknown };
process.env = env;

await import(entry);
