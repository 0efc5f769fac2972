/**
 * `bun:test` for Deno: the part of its API hotline's tests use (describe/test/hooks/expect), run on
 * `Deno.test`, so the very test files `bun test` runs also run under `deno test`, unchanged.
 * deno.json maps the `bun:test` specifier here.
 *
 * A file is one `Deno.test` and each describe block and test one step inside it, run in order with
 * bun's hook semantics: beforeAll/afterAll around a block, beforeEach/afterEach around every test
 * below them (outer first in, inner first out), afterEach and afterAll even after a failure.
 * `expect` follows bun's (Jest's) meaning of each matcher: toEqual ignores properties that are
 * undefined and the objects' classes; toMatchObject checks a subset; toBe is Object.is.
 */
import { inspect } from "node:util";
import { Deno, type TestContext } from "./deno-api.ts";

type Fn = () => unknown;
type TestFn = (done?: unknown) => unknown;

interface TestCase {
  kind: "test";
  name: string;
  fn: TestFn | undefined;
  timeoutMs: number | undefined;
  skip: boolean;
}

interface Block {
  kind: "block";
  name: string;
  children: Array<TestCase | Block>;
  beforeAll: Fn[];
  afterAll: Fn[];
  beforeEach: Fn[];
  afterEach: Fn[];
  skip: boolean;
}

const newBlock = (name: string, skip = false): Block => ({
  kind: "block",
  name,
  children: [],
  beforeAll: [],
  afterAll: [],
  beforeEach: [],
  afterEach: [],
  skip,
});

let defaultTimeoutMs = 30_000;
let current: Block | undefined;

function open(): Block {
  if (!current)
    throw new Error("bun:test shim: tests must be registered inside runBunTestFile(...)");
  return current;
}

// ---------------------------------------------------------------------------------------------
// Registration

export function setDefaultTimeout(ms: number): void {
  defaultTimeoutMs = ms;
}

function register(name: string, fn: TestFn | undefined, timeout: unknown, skip: boolean): void {
  const timeoutMs =
    typeof timeout === "number" ? timeout : (timeout as { timeout?: number } | undefined)?.timeout;
  open().children.push({ kind: "test", name, fn, timeoutMs, skip });
}

type TestApi = ((name: string, fn?: TestFn, timeout?: unknown) => void) & {
  skip(name: string, fn?: TestFn, timeout?: unknown): void;
  todo(name: string, fn?: TestFn): void;
  if(condition: boolean): (name: string, fn?: TestFn, timeout?: unknown) => void;
  skipIf(condition: boolean): (name: string, fn?: TestFn, timeout?: unknown) => void;
  each<T>(
    cases: readonly T[],
  ): (name: string, fn: (...args: unknown[]) => unknown, timeout?: unknown) => void;
};

/** `test.each` names: printf-style %s/%d/%i/%p/%j/%o, and `$key` for object cases. */
function caseName(template: string, row: unknown, index: number): string {
  const args = Array.isArray(row) ? [...row] : [row];
  let name = template.replace(/%[sdifpjo#%]/g, (token) => {
    if (token === "%%") return "%";
    if (token === "%#") return String(index);
    const value = args.shift();
    return token === "%s" ? String(value) : inspect(value);
  });
  if (row !== null && typeof row === "object" && !Array.isArray(row)) {
    name = name.replace(/\$([A-Za-z_][\w.]*)/g, (_, path: string) =>
      String(path.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], row)),
    );
  }
  return name;
}

export const test: TestApi = Object.assign(
  (name: string, fn?: TestFn, timeout?: unknown) => register(name, fn, timeout, false),
  {
    skip: (name: string, fn?: TestFn, timeout?: unknown) => register(name, fn, timeout, true),
    todo: (name: string, fn?: TestFn) => register(name, fn, undefined, true),
    if:
      (condition: boolean) =>
      (name: string, fn?: TestFn, timeout?: unknown): void =>
        register(name, fn, timeout, !condition),
    skipIf:
      (condition: boolean) =>
      (name: string, fn?: TestFn, timeout?: unknown): void =>
        register(name, fn, timeout, condition),
    each:
      <T>(cases: readonly T[]) =>
      (name: string, fn: (...args: unknown[]) => unknown, timeout?: unknown): void => {
        cases.forEach((row, index) => {
          const args = Array.isArray(row) ? row : [row];
          register(caseName(name, row, index), () => fn(...args), timeout, false);
        });
      },
  },
);
export const it = test;

type DescribeApi = ((name: string, fn: () => void) => void) & {
  skip(name: string, fn: () => void): void;
  if(condition: boolean): (name: string, fn: () => void) => void;
  skipIf(condition: boolean): (name: string, fn: () => void) => void;
};

function describeBlock(name: string, fn: () => void, skip: boolean): void {
  const parent = open();
  const block = newBlock(name, skip || parent.skip);
  parent.children.push(block);
  current = block;
  try {
    const result: unknown = fn();
    if (result instanceof Promise)
      throw new Error(`describe("${name}") must register its tests synchronously`);
  } finally {
    current = parent;
  }
}

export const describe: DescribeApi = Object.assign(
  (name: string, fn: () => void) => describeBlock(name, fn, false),
  {
    skip: (name: string, fn: () => void) => describeBlock(name, fn, true),
    if: (condition: boolean) => (name: string, fn: () => void) =>
      describeBlock(name, fn, !condition),
    skipIf: (condition: boolean) => (name: string, fn: () => void) =>
      describeBlock(name, fn, condition),
  },
);

export const beforeAll = (fn: Fn) => void open().beforeAll.push(fn);
export const afterAll = (fn: Fn) => void open().afterAll.push(fn);
export const beforeEach = (fn: Fn) => void open().beforeEach.push(fn);
export const afterEach = (fn: Fn) => void open().afterEach.push(fn);

// ---------------------------------------------------------------------------------------------
// Running

function withTimeout(run: () => unknown, ms: number, what: string): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    Promise.resolve().then(run),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    }),
  ]).then(
    () => clearTimeout(timer),
    (error: unknown) => {
      clearTimeout(timer);
      throw error;
    },
  );
}

/** Runs hooks in order; every hook runs, the first error is rethrown after all of them. */
async function runHooks(hooks: Fn[], what: string): Promise<void> {
  let first: unknown;
  for (const hook of hooks) {
    try {
      await withTimeout(hook, defaultTimeoutMs, what);
    } catch (error) {
      first ??= error;
    }
  }
  if (first !== undefined) throw first;
}

/** Tests this runtime cannot run, by path ("describe > test"), with the reason shown in the output. */
export type KnownUnportable = Record<string, string>;

async function runBlock(
  block: Block,
  t: TestContext,
  outer: Block[],
  unportable: KnownUnportable,
): Promise<void> {
  const chain = [...outer, block];
  const path = (node: TestCase | Block) => [...chain.slice(1), node].map((b) => b.name).join(" > ");
  const runnable = (node: TestCase | Block): boolean =>
    node.kind === "test"
      ? !node.skip && node.fn !== undefined && !(path(node) in unportable)
      : !node.skip;
  const skipped = (node: TestCase | Block) => {
    const reason = unportable[path(node)];
    return t.step(`${node.name} (skipped${reason ? `: ${reason}` : ""})`, () => {});
  };
  // Nothing to run: no hooks either, but every skipped test is still named in the output.
  if (!block.children.some(runnable)) {
    for (const child of block.children) await skipped(child);
    return;
  }
  let setupError: unknown;
  try {
    await runHooks(block.beforeAll, `beforeAll in "${block.name}"`);
  } catch (error) {
    setupError = error;
  }
  try {
    for (const child of block.children) {
      if (!runnable(child)) {
        await skipped(child);
        continue;
      }
      if (child.kind === "block") {
        await t.step(child.name, (inner) =>
          setupError === undefined
            ? runBlock(child, inner, chain, unportable)
            : Promise.reject(setupError),
        );
        continue;
      }
      await t.step(child.name, async () => {
        if (setupError !== undefined) throw setupError;
        let failure: unknown;
        try {
          await runHooks(
            chain.flatMap((b) => b.beforeEach),
            "beforeEach",
          );
          const fn = child.fn as TestFn;
          await withTimeout(
            () => fn(),
            child.timeoutMs ?? defaultTimeoutMs,
            `test "${child.name}"`,
          );
        } catch (error) {
          failure = error;
        }
        try {
          await runHooks(
            chain
              .slice()
              .reverse()
              .flatMap((b) => b.afterEach),
            "afterEach",
          );
        } catch (error) {
          failure ??= error;
        }
        if (failure !== undefined) throw failure;
      });
    }
  } finally {
    await runHooks(block.afterAll, `afterAll in "${block.name}"`);
  }
}

/**
 * Loads one bun test file (its describe/test calls register into a fresh block) and registers it
 * as one Deno test. Call at the top level of a `*.deno.ts` file, awaiting each. Tests listed in
 * `unportable` are reported as skipped with their reason; a listed test that does not exist fails
 * the file, so the list cannot silently outlive a fix.
 */
export async function runBunTestFile(
  name: string,
  load: () => Promise<unknown>,
  unportable: KnownUnportable = {},
): Promise<void> {
  const root = newBlock(name);
  current = root;
  try {
    await load();
  } finally {
    current = undefined;
  }
  const paths = new Set<string>();
  const collect = (block: Block, prefix: string[]) => {
    for (const child of block.children) {
      const path = [...prefix, child.name];
      if (child.kind === "test") paths.add(path.join(" > "));
      else collect(child, path);
    }
  };
  collect(root, []);
  const stale = Object.keys(unportable).filter((path) => !paths.has(path));
  Deno.test({
    name,
    fn: (t) => {
      if (stale.length > 0)
        throw new Error(`listed as unportable but not found: ${stale.join("; ")}`);
      return runBlock(root, t, [], unportable);
    },
    // Off: Elysia's route compiler leaves a cache-clearing timer behind (library code), and the
    // plugin host's bounded waits (PluginWorker.retire) leave their losing timers to expire.
    // Neither is held on to; bun test does not check for either.
    sanitizeOps: false,
    sanitizeResources: false,
  });
}

// ---------------------------------------------------------------------------------------------
// expect

const inspectCustom = Symbol.for("nodejs.util.inspect.custom");

class Asymmetric {
  constructor(
    readonly description: string,
    readonly matches: (actual: unknown) => boolean,
  ) {}
  [inspectCustom](): string {
    return this.description;
  }
}

const show = (value: unknown) => inspect(value, { depth: 6, breakLength: 100 });

function isPlainObjectLike(value: unknown): value is Record<PropertyKey, unknown> {
  return (
    value !== null &&
    typeof value === "object" &&
    !(value instanceof Date) &&
    !(value instanceof RegExp) &&
    !ArrayBuffer.isView(value) &&
    !(value instanceof ArrayBuffer)
  );
}

function bytesOf(value: ArrayBufferView | ArrayBuffer): unknown[] {
  if (value instanceof ArrayBuffer) return [...new Uint8Array(value)];
  if (value instanceof DataView) return [...new Uint8Array(value.buffer)];
  return Array.from(value as unknown as ArrayLike<unknown>);
}

/** Jest/bun `equals`: recursive; `strict` also compares undefined properties and classes. */
function equals(a: unknown, b: unknown, strict = false): boolean {
  if (b instanceof Asymmetric) return b.matches(a);
  if (a instanceof Asymmetric) return a.matches(b);
  if (Object.is(a, b)) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (strict && Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (a instanceof Date || b instanceof Date)
    return a instanceof Date && b instanceof Date && Object.is(a.getTime(), b.getTime());
  if (a instanceof RegExp || b instanceof RegExp) return String(a) === String(b);
  const aBytes = ArrayBuffer.isView(a) || a instanceof ArrayBuffer;
  const bBytes = ArrayBuffer.isView(b) || b instanceof ArrayBuffer;
  if (aBytes || bBytes) {
    if (!aBytes || !bBytes || a.constructor !== b.constructor) return false;
    const x = bytesOf(a);
    const y = bytesOf(b);
    return x.length === y.length && x.every((v, i) => Object.is(v, y[i]));
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((v, i) => equals(v, b[i], strict));
  if (a instanceof Map || b instanceof Map) {
    if (!(a instanceof Map && b instanceof Map) || a.size !== b.size) return false;
    return [...a].every(([k, v]) => b.has(k) && equals(v, b.get(k), strict));
  }
  if (a instanceof Set || b instanceof Set) {
    if (!(a instanceof Set && b instanceof Set) || a.size !== b.size) return false;
    return [...a].every((v) => [...b].some((w) => equals(v, w, strict)));
  }
  if (a instanceof Error && b instanceof Error && a.message !== b.message) return false;
  const keys = (o: object) =>
    Object.keys(o).filter((k) => strict || (o as Record<string, unknown>)[k] !== undefined);
  const ka = keys(a);
  const kb = keys(b);
  if (ka.length !== kb.length) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  return ka.every((k) => Object.hasOwn(rb, k) && equals(ra[k], rb[k], strict));
}

/** toMatchObject: every property of `expected` is in `actual`, recursively; arrays match fully. */
function matchesObject(actual: unknown, expected: unknown): boolean {
  if (expected instanceof Asymmetric) return expected.matches(actual);
  if (Array.isArray(expected))
    return (
      Array.isArray(actual) &&
      actual.length === expected.length &&
      expected.every((e, i) => matchesObject(actual[i], e))
    );
  if (isPlainObjectLike(expected) && !(expected instanceof Map) && !(expected instanceof Set)) {
    if (actual === null || typeof actual !== "object") return false;
    const record = actual as Record<string, unknown>;
    return Object.keys(expected).every(
      (k) => (k in record || expected[k] === undefined) && matchesObject(record[k], expected[k]),
    );
  }
  return equals(actual, expected);
}

function anyOf(ctor: unknown): Asymmetric {
  const name = (ctor as { name?: string }).name ?? String(ctor);
  return new Asymmetric(`Any<${name}>`, (actual) => {
    if (ctor === String) return typeof actual === "string" || actual instanceof String;
    if (ctor === Number) return typeof actual === "number" || actual instanceof Number;
    if (ctor === Boolean) return typeof actual === "boolean" || actual instanceof Boolean;
    if (ctor === BigInt) return typeof actual === "bigint";
    if (ctor === Symbol) return typeof actual === "symbol";
    if (ctor === Function) return typeof actual === "function";
    if (ctor === Object) return actual !== null && typeof actual === "object";
    return actual instanceof (ctor as new (...args: never[]) => unknown);
  });
}

class AssertionError extends Error {
  override name = "AssertionError";
}

function thrownMatches(error: unknown, expected: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  if (expected === undefined) return true;
  if (typeof expected === "string") return message.includes(expected);
  if (expected instanceof RegExp) return expected.test(message);
  if (typeof expected === "function") return error instanceof (expected as new () => unknown);
  if (expected instanceof Error) return message === expected.message;
  if (expected instanceof Asymmetric) return expected.matches(error);
  return matchesObject(error, expected);
}

function propertyAt(value: unknown, path: string | Array<string | number>) {
  const keys = Array.isArray(path) ? path : path.split(".");
  let at: unknown = value;
  for (const key of keys) {
    if (at === null || at === undefined || !(key in Object(at))) return { found: false };
    at = (at as Record<string | number, unknown>)[key];
  }
  return { found: true, value: at };
}

type Check = [pass: boolean, message: string];

function checks(actual: unknown) {
  const a = show(actual);
  const n = (v: unknown) => Number(v);
  return {
    toBe: (expected: unknown): Check => [
      Object.is(actual, expected),
      `expected ${a} to be ${show(expected)}`,
    ],
    toEqual: (expected: unknown): Check => [
      equals(actual, expected),
      `expected ${a} to equal ${show(expected)}`,
    ],
    toStrictEqual: (expected: unknown): Check => [
      equals(actual, expected, true),
      `expected ${a} to strictly equal ${show(expected)}`,
    ],
    toMatchObject: (expected: unknown): Check => [
      matchesObject(actual, expected),
      `expected ${a} to match object ${show(expected)}`,
    ],
    toHaveLength: (length: number): Check => [
      (actual as { length?: unknown } | null)?.length === length,
      `expected ${a} to have length ${length}, got ${(actual as { length?: unknown } | null)?.length}`,
    ],
    toContain: (item: unknown): Check => [
      typeof actual === "string"
        ? actual.includes(String(item))
        : Array.isArray(actual) || actual instanceof Set
          ? [...actual].some((x) => x === item)
          : false,
      `expected ${a} to contain ${show(item)}`,
    ],
    toContainEqual: (item: unknown): Check => [
      Array.isArray(actual) && actual.some((x) => equals(x, item)),
      `expected ${a} to contain an element equal to ${show(item)}`,
    ],
    toMatch: (pattern: RegExp | string): Check => [
      typeof actual === "string" &&
        (typeof pattern === "string" ? actual.includes(pattern) : pattern.test(actual)),
      `expected ${a} to match ${show(pattern)}`,
    ],
    toStartWith: (prefix: string): Check => [
      typeof actual === "string" && actual.startsWith(prefix),
      `expected ${a} to start with ${show(prefix)}`,
    ],
    toEndWith: (suffix: string): Check => [
      typeof actual === "string" && actual.endsWith(suffix),
      `expected ${a} to end with ${show(suffix)}`,
    ],
    toBeUndefined: (): Check => [actual === undefined, `expected ${a} to be undefined`],
    toBeDefined: (): Check => [actual !== undefined, `expected ${a} to be defined`],
    toBeNull: (): Check => [actual === null, `expected ${a} to be null`],
    toBeTruthy: (): Check => [Boolean(actual), `expected ${a} to be truthy`],
    toBeFalsy: (): Check => [!actual, `expected ${a} to be falsy`],
    toBeString: (): Check => [typeof actual === "string", `expected ${a} to be a string`],
    toBeNumber: (): Check => [typeof actual === "number", `expected ${a} to be a number`],
    toBeBoolean: (): Check => [typeof actual === "boolean", `expected ${a} to be a boolean`],
    toBeArray: (): Check => [Array.isArray(actual), `expected ${a} to be an array`],
    toBeInstanceOf: (ctor: new (...args: never[]) => unknown): Check => [
      actual instanceof ctor,
      `expected ${a} to be an instance of ${ctor.name}`,
    ],
    toBeGreaterThan: (x: number | bigint): Check => [
      typeof actual === typeof x && n(actual) > n(x),
      `expected ${a} > ${show(x)}`,
    ],
    toBeGreaterThanOrEqual: (x: number | bigint): Check => [
      typeof actual === typeof x && n(actual) >= n(x),
      `expected ${a} >= ${show(x)}`,
    ],
    toBeLessThan: (x: number | bigint): Check => [
      typeof actual === typeof x && n(actual) < n(x),
      `expected ${a} < ${show(x)}`,
    ],
    toBeLessThanOrEqual: (x: number | bigint): Check => [
      typeof actual === typeof x && n(actual) <= n(x),
      `expected ${a} <= ${show(x)}`,
    ],
    toHaveProperty: (path: string | Array<string | number>, ...value: unknown[]): Check => {
      const at = propertyAt(actual, path);
      const pass = at.found && (value.length === 0 || equals(at.value, value[0]));
      return [
        pass,
        `expected ${a} to have property ${show(path)}${value.length ? ` = ${show(value[0])}` : ""}`,
      ];
    },
  };
}

type Checks = ReturnType<typeof checks>;
type Matchers = { [K in keyof Checks]: (...args: Parameters<Checks[K]>) => void } & {
  toThrow(expected?: unknown): void;
};
type AsyncMatchers = { [K in keyof Matchers]: (...args: Parameters<Matchers[K]>) => Promise<void> };

function matchers(actual: unknown, negate: boolean, thrown?: { error: unknown }): Matchers {
  const result = {} as Record<string, (...args: unknown[]) => void>;
  const all = checks(actual) as unknown as Record<string, (...args: unknown[]) => Check>;
  for (const [name, check] of Object.entries(all)) {
    result[name] = (...args) => {
      const [pass, message] = check(...args);
      if (pass === negate) throw new AssertionError(negate ? `not: ${message}` : message);
    };
  }
  result.toThrow = (expected?: unknown) => {
    let outcome = thrown;
    if (!outcome) {
      if (typeof actual !== "function")
        throw new AssertionError(`toThrow needs a function, got ${show(actual)}`);
      try {
        (actual as () => unknown)();
      } catch (error) {
        outcome = { error };
      }
    }
    const pass = outcome !== undefined && thrownMatches(outcome.error, expected);
    if (pass === negate)
      throw new AssertionError(
        `expected ${negate ? "no " : ""}throw${expected === undefined ? "" : ` matching ${show(expected)}`}; ${
          outcome ? `threw ${show(outcome.error)}` : "nothing was thrown"
        }`,
      );
  };
  return result as unknown as Matchers;
}

function asyncMatchers(promise: unknown, mode: "resolves" | "rejects", negate: boolean) {
  const names = [...Object.keys(checks(undefined)), "toThrow"];
  const result = {} as Record<string, (...args: unknown[]) => Promise<void>>;
  for (const name of names) {
    result[name] = async (...args) => {
      let settled: { ok: true; value: unknown } | { ok: false; error: unknown };
      try {
        settled = { ok: true, value: await promise };
      } catch (error) {
        settled = { ok: false, error };
      }
      if (mode === "resolves" && !settled.ok)
        throw new AssertionError(
          `expected the promise to resolve; it rejected: ${show(settled.error)}`,
        );
      if (mode === "rejects" && settled.ok)
        throw new AssertionError(
          `expected the promise to reject; it resolved: ${show(settled.value)}`,
        );
      const value = settled.ok ? settled.value : settled.error;
      const m = matchers(value, negate, settled.ok ? undefined : { error: settled.error });
      (m as unknown as Record<string, (...args: unknown[]) => void>)[name]?.(...args);
    };
  }
  return result as unknown as AsyncMatchers;
}

export const expect = Object.assign(
  (actual: unknown) =>
    Object.assign(matchers(actual, false), {
      not: matchers(actual, true),
      resolves: Object.assign(asyncMatchers(actual, "resolves", false), {
        not: asyncMatchers(actual, "resolves", true),
      }),
      rejects: Object.assign(asyncMatchers(actual, "rejects", false), {
        not: asyncMatchers(actual, "rejects", true),
      }),
    }),
  {
    any: anyOf,
    anything: () => new Asymmetric("Anything", (v) => v !== null && v !== undefined),
    stringContaining: (s: string) =>
      new Asymmetric(`StringContaining ${show(s)}`, (v) => typeof v === "string" && v.includes(s)),
    stringMatching: (p: RegExp | string) =>
      new Asymmetric(
        `StringMatching ${show(p)}`,
        (v) => typeof v === "string" && (typeof p === "string" ? v.includes(p) : p.test(v)),
      ),
    objectContaining: (o: Record<string, unknown>) =>
      new Asymmetric(
        `ObjectContaining ${show(o)}`,
        (v) =>
          v !== null &&
          typeof v === "object" &&
          Object.keys(o).every((k) => equals((v as Record<string, unknown>)[k], o[k])),
      ),
    arrayContaining: (items: unknown[]) =>
      new Asymmetric(
        `ArrayContaining ${show(items)}`,
        (v) => Array.isArray(v) && items.every((item) => v.some((x) => equals(x, item))),
      ),
  },
);

/** Compile-time only (tsc checks it under Bun's types); at run time every chain is a no-op. */
export function expectTypeOf(_value?: unknown): unknown {
  const chain: unknown = new Proxy(() => chain, { get: () => chain, apply: () => chain });
  return chain;
}
