import { Counter, type Registry } from "prom-client";

type Key = string | number;

interface Cell {
  labels: Record<string, string>;
  count: number;
  reported: number;
}

/**
 * A Prometheus counter for hot paths. prom-client hashes the label object on every `inc`, even on
 * a cached child; here an increment is a Map lookup per label and a number bump, with nothing
 * allocated once a label combination has been seen. The counts reach prom-client at scrape time.
 */
export class FastCounter {
  readonly #counter: Counter;
  readonly #labelNames: readonly string[];
  readonly #root = new Map<Key, unknown>();
  readonly #cells: Cell[] = [];

  constructor(registry: Registry, name: string, help: string, labelNames: readonly string[]) {
    if (labelNames.length < 1 || labelNames.length > 3)
      throw new Error("FastCounter takes one to three labels");
    this.#labelNames = labelNames;
    this.#counter = new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect: () => this.#report(),
    });
  }

  /** Counts one for these label values (as many as the counter has labels). */
  inc(a: Key, b: Key = "", c: Key = ""): void {
    this.#cell(a, b, c).count++;
  }

  /** Exports a label combination as 0 before anything happened, so rates work from the start. */
  touch(a: Key, b: Key = "", c: Key = ""): void {
    this.#cell(a, b, c);
  }

  #cell(a: Key, b: Key, c: Key): Cell {
    const depth = this.#labelNames.length;
    let level = this.#root;
    let found = level.get(a);
    if (depth === 1) return (found as Cell | undefined) ?? this.#create(level, a, [a]);
    if (found === undefined) {
      found = new Map<Key, unknown>();
      level.set(a, found);
    }
    level = found as Map<Key, unknown>;
    found = level.get(b);
    if (depth === 2) return (found as Cell | undefined) ?? this.#create(level, b, [a, b]);
    if (found === undefined) {
      found = new Map<Key, unknown>();
      level.set(b, found);
    }
    level = found as Map<Key, unknown>;
    return (level.get(c) as Cell | undefined) ?? this.#create(level, c, [a, b, c]);
  }

  #create(level: Map<Key, unknown>, key: Key, values: Key[]): Cell {
    const labels: Record<string, string> = {};
    this.#labelNames.forEach((name, i) => {
      labels[name] = String(values[i]);
    });
    const cell: Cell = { labels, count: 0, reported: 0 };
    level.set(key, cell);
    this.#cells.push(cell);
    // Exported from the first scrape on, at 0 until counted.
    this.#counter.inc(labels, 0);
    return cell;
  }

  #report(): void {
    for (const cell of this.#cells) {
      if (cell.count === cell.reported) continue;
      this.#counter.inc(cell.labels, cell.count - cell.reported);
      cell.reported = cell.count;
    }
  }
}
