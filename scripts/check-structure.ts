/**
 * The layout rules of src/, checked in CI (`bun scripts/check-structure.ts`):
 *  - no import cycle between files, nor between folders (the entry counts as a folder of its own);
 *  - the runtime never imports the development tools (src/dev), except the entry (src/main.ts),
 *    which loads local mode when it is used;
 *  - no file over 450 lines, and the composition root (src/hotline.ts) under 150.
 * Imports are read from the source text: biome keeps them in one shape, so a pattern suffices.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "..");
const SRC = join(ROOT, "src");
const MAX_LINES = 450;
const LIMITS: Record<string, number> = { "src/hotline.ts": 150 };
const ENTRY = "src/main.ts";

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path);
    return path.endsWith(".ts") ? [path] : [];
  });
}

const IMPORT = /(?:from\s+|import\s*\(\s*)["'](\.{1,2}\/[^"']+)["']/g;

function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(IMPORT)].map((match) => resolve(dirname(file), match[1] as string));
}

/** Strongly connected components of more than one node, or with a self-edge (Tarjan). */
function cycles(graph: Map<string, Set<string>>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string) => {
    indices.set(node, index);
    low.set(node, index++);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!indices.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node) as number, low.get(next) as number));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node) as number, indices.get(next) as number));
      }
    }
    if (low.get(node) !== indices.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop() as string;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || graph.get(node)?.has(node)) found.push(component.sort());
  };
  for (const node of graph.keys()) if (!indices.has(node)) visit(node);
  return found;
}

const rel = (path: string) => relative(ROOT, path);
const problems: string[] = [];
const fileGraph = new Map<string, Set<string>>();
const folderGraph = new Map<string, Set<string>>();
for (const file of files(SRC)) {
  const name = rel(file);
  const lines = readFileSync(file, "utf8").split("\n").length - 1;
  const limit = LIMITS[name] ?? MAX_LINES;
  if (lines > limit) problems.push(`${name}: ${lines} lines (at most ${limit})`);
  const targets = importsOf(file).filter((target) => target.startsWith(SRC));
  fileGraph.set(name, new Set(targets.map(rel)));
  // The entry sits above every layer (it picks local mode or not): it is in no folder's cycle.
  const from = name === ENTRY ? name : rel(dirname(file));
  const folders = folderGraph.get(from) ?? new Set<string>();
  for (const target of targets) {
    const to = rel(dirname(target));
    if (to !== from) folders.add(to);
    const inDev = rel(target).startsWith("src/dev/");
    if (inDev && !name.startsWith("src/dev/") && name !== ENTRY)
      problems.push(`${name} imports the development tools (${rel(target)})`);
  }
  folderGraph.set(from, folders);
}
for (const cycle of cycles(fileGraph))
  problems.push(`import cycle between files: ${cycle.join(" -> ")}`);
for (const cycle of cycles(folderGraph))
  problems.push(`import cycle between folders: ${cycle.join(" -> ")}`);

if (problems.length > 0) {
  for (const problem of problems) console.error(`check-structure: ${problem}`);
  process.exit(1);
}
console.log(`check-structure: ${fileGraph.size} files in src/, no cycles, within limits`);
