/**
 * Plugins' sessions around a delivery: read from the store before the run, written back with its
 * settlement (the store saves them only when it is done), and, at ingest, which plugins a
 * sender has a dialog open with, so that routing gives the dialog the sender's next text.
 */
import type { ParsedEvent } from "../core/parsed-event.ts";
import {
  type SessionChanges,
  type SessionScope,
  type StoredSessions,
  sessionKeysOf,
} from "../core/sessions.ts";
import type { SessionKey, SessionWrite, Store } from "../storage/store.ts";
import type { PluginGateway } from "./types.ts";

type Sessions = Pick<PluginGateway, "sessionScopes" | "dialogPlugins">;

function keysFor(plugin: string, parsed: ParsedEvent, scopes: readonly SessionScope[]) {
  const keys = sessionKeysOf(parsed);
  return scopes.flatMap((scope): SessionKey[] => {
    const key = keys[scope];
    return key === undefined ? [] : [{ plugin, scope, key }];
  });
}

/** The plugin's sessions for the event: each scope it keeps and the event has a key for. */
export async function readSessions(
  store: Store,
  plugins: Sessions,
  plugin: string,
  parsed: ParsedEvent,
  now: number,
): Promise<StoredSessions> {
  const keys = keysFor(plugin, parsed, plugins.sessionScopes?.(plugin) ?? []);
  if (keys.length === 0) return {};
  const stored: StoredSessions = Object.fromEntries(keys.map((key) => [key.scope, null]));
  for (const record of await store.readSessions(keys, now)) stored[record.scope] = record.value;
  return stored;
}

/** The store's writes for what a run changed. */
export function sessionWrites(
  plugin: string,
  parsed: ParsedEvent,
  changes: SessionChanges | undefined,
): SessionWrite[] {
  if (!changes) return [];
  const keys = sessionKeysOf(parsed);
  return Object.entries(changes).flatMap(([scope, change]): SessionWrite[] => {
    const key = keys[scope as SessionScope];
    return key === undefined || !change
      ? []
      : [{ plugin, scope: scope as SessionScope, key, ...change }];
  });
}

/**
 * Per event id, the plugins its sender has a dialog open with in its chat. Read before the
 * events are stored: a dialog that a run still in flight opens is not seen (its next text goes
 * to commands and fallbacks), the window being between that run's reply and its settlement.
 */
export async function openDialogs(
  store: Store,
  plugins: Sessions,
  events: readonly ParsedEvent[],
  now: number,
): Promise<Map<string, Set<string>>> {
  const holders = plugins.dialogPlugins?.() ?? [];
  const open = new Map<string, Set<string>>();
  const texts = events.filter((parsed) => isText(parsed) && sessionKeysOf(parsed).dialog);
  if (holders.length === 0 || texts.length === 0) return open;
  const keys = texts.flatMap((parsed) => holders.flatMap((p) => keysFor(p, parsed, ["dialog"])));
  const found = new Set(
    (await store.readSessions(keys, now)).map((record) => `${record.plugin}\0${record.key}`),
  );
  for (const parsed of texts) {
    const key = sessionKeysOf(parsed).dialog;
    const owners = holders.filter((plugin) => found.has(`${plugin}\0${key}`));
    if (owners.length > 0) open.set(parsed.id, new Set(owners));
  }
  return open;
}

/** Only a text can answer a dialog. */
function isText(parsed: ParsedEvent): boolean {
  const { message } = parsed.event as { message?: { type?: unknown } };
  return parsed.type === "message" && message?.type === "text";
}
