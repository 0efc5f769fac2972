/**
 * The Deno APIs the Deno suite uses, typed here: tsc checks the project with Bun's types, which have
 * no `Deno` global, and a global declaration would let `src/` use Deno APIs unchecked. Importing
 * this module is the only way a file gets `Deno`, so the suite stays type-checked by tsc.
 */
export interface TestContext {
  readonly name: string;
  step(name: string, fn: (t: TestContext) => void | Promise<void>): Promise<boolean>;
}

export interface TestDefinition {
  name: string;
  fn(t: TestContext): void | Promise<void>;
  ignore?: boolean;
  sanitizeOps?: boolean;
  sanitizeResources?: boolean;
  sanitizeExit?: boolean;
}

export interface CommandOutput {
  readonly code: number;
  readonly success: boolean;
  readonly stdout: Uint8Array;
  readonly stderr: Uint8Array;
}

export interface ChildProcess {
  readonly pid: number;
  readonly stdout: ReadableStream<Uint8Array>;
  readonly stderr: ReadableStream<Uint8Array>;
  readonly status: Promise<{ code: number; success: boolean; signal: string | null }>;
  kill(signal?: string): void;
}

export interface CommandOptions {
  args?: string[];
  cwd?: string;
  env?: Record<string, string>;
  stdin?: "null" | "piped" | "inherit";
  stdout?: "null" | "piped" | "inherit";
  stderr?: "null" | "piped" | "inherit";
}

export interface DenoApi {
  readonly version: { readonly deno: string };
  test(definition: TestDefinition): void;
  execPath(): string;
  Command: new (
    command: string,
    options?: CommandOptions,
  ) => {
    output(): Promise<CommandOutput>;
    spawn(): ChildProcess;
  };
}

export const Deno = (globalThis as unknown as { Deno: DenoApi }).Deno;

/** Whether this code runs under Deno (the suite's modules refuse to run elsewhere). */
export const onDeno = typeof (globalThis as { Deno?: unknown }).Deno === "object";
