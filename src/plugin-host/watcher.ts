import { type FSWatcher, watch } from "node:fs";
import { resolve } from "node:path";

/**
 * Watches directories and reports changed paths in batches. Editors write a file in several steps
 * (truncate, write, rename), so changes are collected until the directory has been quiet for
 * `debounceMs`. Bun reports adds and deletes alike as "rename": the caller checks existence.
 */
export class DirectoryWatcher {
  readonly #watchers: FSWatcher[] = [];
  readonly #changed = new Set<string>();
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly debounceMs: number,
    private readonly onChange: (paths: string[]) => void,
  ) {}

  watch(dir: string, options: { recursive: boolean; filter?: (path: string) => boolean }): void {
    const root = resolve(dir);
    const watcher = watch(root, { recursive: options.recursive }, (_event, filename) => {
      if (!filename) return;
      const path = resolve(root, filename.toString());
      if (options.filter && !options.filter(path)) return;
      this.#changed.add(path);
      clearTimeout(this.#timer);
      this.#timer = setTimeout(() => this.#flush(), this.debounceMs);
    });
    this.#watchers.push(watcher);
  }

  #flush(): void {
    const paths = [...this.#changed];
    this.#changed.clear();
    if (paths.length > 0) this.onChange(paths);
  }

  close(): void {
    clearTimeout(this.#timer);
    for (const watcher of this.#watchers) watcher.close();
    this.#watchers.length = 0;
  }
}
