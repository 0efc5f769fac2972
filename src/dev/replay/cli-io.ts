/** What a command gets from its process: the environment and where its output goes. */
export interface CliIo {
  env: Record<string, string | undefined>;
  /** The report (stdout). */
  out(text: string): void;
  /** Notes and progress (stderr). */
  err(text: string): void;
  /** A progress bar is drawn only on a terminal. */
  tty?: boolean;
  /** How often `replay --follow` reads the store (default 1000 ms). */
  pollMs?: number;
}
