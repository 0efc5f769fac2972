/**
 * One delivery's sessions inside the worker: each scope parsed with the plugin's schema when the
 * handler first reads it, and compared with what was stored when the run ends, so that only what
 * changed goes back to the host (saved with the settlement; a failed run sends nothing).
 */
import type { z } from "zod";
import { MAX_SESSION_TEXT, type SessionChanges, type StoredSessions } from "../../core/sessions.ts";
import type { Logger } from "../../sdk/context.ts";
import type { SessionSchemas } from "../../sdk/session.ts";

type StateScope = "chat" | "user";

interface Loaded {
  value: unknown;
  /** The JSON it was read from, to tell a change: null for none stored. */
  stored: string | null;
}

export class RunSessions {
  readonly #schemas: SessionSchemas;
  readonly #stored: StoredSessions;
  readonly #log: Logger;
  readonly #loaded = new Map<StateScope, Loaded>();
  #dialog: { value: string | null; expiresAt: number | null } | undefined;

  constructor(schemas: SessionSchemas, stored: StoredSessions, log: Logger) {
    this.#schemas = schemas;
    this.#stored = stored;
    this.#log = log;
  }

  /** `ctx.session`: a getter and a setter per declared scope. */
  view(): Record<StateScope, unknown> {
    const view = {} as Record<StateScope, unknown>;
    for (const scope of ["chat", "user"] as const) {
      if (!this.#schemas[scope]) continue;
      Object.defineProperty(view, scope, {
        enumerable: true,
        get: () => this.#read(scope).value,
        set: (value: unknown) => {
          this.#read(scope).value = value;
        },
      });
    }
    return view;
  }

  /** The dialog the sender has open with the plugin in this chat, as stored. */
  dialog(): string | null {
    return this.#stored.dialog ?? null;
  }

  /** Whether the event has a sender in a chat, which a dialog needs. */
  canHoldDialog(): boolean {
    return this.#stored.dialog !== undefined;
  }

  setDialog(value: string | null, expiresAt: number | null): void {
    this.#dialog = { value, expiresAt };
  }

  /** What the run changed; throws when a state no longer fits its schema or is too long. */
  changes(): SessionChanges {
    const changes: SessionChanges = {};
    for (const [scope, { value, stored }] of this.#loaded) {
      const schema = this.#schemas[scope] as z.ZodType;
      const checked = schema.safeParse(value);
      if (!checked.success)
        throw new TypeError(
          `ctx.session.${scope} does not fit its schema: ${issue(checked.error)}`,
        );
      const text = JSON.stringify(checked.data) ?? null;
      if (text !== null && text.length > MAX_SESSION_TEXT)
        throw new RangeError(`ctx.session.${scope} is over ${MAX_SESSION_TEXT} characters as JSON`);
      if (text !== stored) changes[scope] = { value: text, expiresAt: null };
    }
    if (this.#dialog && this.#dialog.value !== this.dialog()) changes.dialog = this.#dialog;
    return changes;
  }

  #read(scope: StateScope): Loaded {
    const known = this.#loaded.get(scope);
    if (known) return known;
    const stored = this.#stored[scope];
    if (stored === undefined)
      throw new TypeError(
        `ctx.session.${scope}: this event has no ${scope === "chat" ? "chat" : "sender"}`,
      );
    const loaded = { value: this.#parse(scope, stored), stored };
    this.#loaded.set(scope, loaded);
    return loaded;
  }

  /** The stored state read with the schema; a state it no longer fits starts afresh, logged. */
  #parse(scope: StateScope, stored: string | null): unknown {
    const schema = this.#schemas[scope] as z.ZodType;
    if (stored !== null) {
      const read = schema.safeParse(JSON.parse(stored));
      if (read.success) return read.data;
      this.#log.warn(
        { scope, issue: issue(read.error) },
        "stored session no longer fits the schema: starting from its default",
      );
    }
    // A copy: zod hands out a default object itself, and the handler mutates what it gets.
    return structuredClone(schema.parse(undefined));
  }
}

function issue(error: z.ZodError): string {
  const [first] = error.issues;
  return first ? `${first.path.join(".") || "(root)"}: ${first.message}` : "invalid";
}
