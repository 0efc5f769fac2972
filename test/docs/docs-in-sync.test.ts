/**
 * The docs' runnable examples are files the suite runs: a code block that follows
 * `<!-- example: <path> -->` must be that file, and one after `<!-- example: <path>#<name> -->`
 * the region of it between `// docs:begin <name>` and `// docs:end <name>`. So an example in
 * the docs cannot drift from the SDK without a test failing (the files are type-checked too).
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DOCS = ["docs/authoring.md", "docs/testing.md"];
const MARKED = /<!-- example: ([\w./-]+?)(?:#([\w-]+))? -->\n```ts\n([\s\S]*?)```\n/g;

const read = (path: string) => readFileSync(`${ROOT}${path}`, "utf8");

/** The lines between the region's markers, without the indent they share. */
function region(source: string, name: string): string {
  const lines = source.split("\n");
  const begin = lines.findIndex((line) => line.trim() === `// docs:begin ${name}`);
  const end = lines.findIndex((line) => line.trim() === `// docs:end ${name}`);
  if (begin < 0 || end < begin) throw new Error(`no region "${name}"`);
  const body = lines.slice(begin + 1, end);
  const indent = Math.min(
    ...body.filter((line) => line.trim()).map((line) => /^ */.exec(line)?.[0].length ?? 0),
  );
  return `${body.map((line) => line.slice(indent)).join("\n")}\n`;
}

const examples = DOCS.flatMap((doc) =>
  [...read(doc).matchAll(MARKED)].map(([, path = "", name, block = ""]) => ({
    doc,
    path,
    name,
    block,
  })),
);

describe("the docs' examples are the files the tests run", () => {
  for (const { doc, path, name, block } of examples) {
    test(`${doc}: ${path}${name ? `#${name}` : ""}`, () => {
      const source = read(path);
      expect(block).toBe(name ? region(source, name) : source);
    });
  }

  test("every example file and region is shown somewhere", () => {
    const shown = new Set(examples.map(({ path, name }) => (name ? `${path}#${name}` : path)));
    // Code only: an example's image (cafe.png) is no code block.
    const files = readdirSync(`${ROOT}test/docs/examples`)
      .filter((f) => f.endsWith(".ts"))
      .map((f) => `test/docs/examples/${f}`);
    const regions = [
      ...read("test/docs/testing-examples.test.ts").matchAll(/docs:begin ([\w-]+)/g),
    ];
    const expected = [
      ...files,
      ...regions.map(([, name]) => `test/docs/testing-examples.test.ts#${name}`),
    ];
    expect(expected.filter((example) => !shown.has(example))).toEqual([]);
  });
});
