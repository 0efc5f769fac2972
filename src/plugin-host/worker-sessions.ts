import { FileSession } from "./file-rpc.ts";
import { RichMenuSession } from "./rich-menu-rpc.ts";
import { type StateServices, StateSession } from "./state-rpc.ts";

/**
 * What one worker holds at the host: its plugin state (which names its plugin), its files, and
 * the rich menus it declared while loading.
 */
export interface WorkerSessions {
  state: StateSession;
  files: FileSession;
  richMenus: RichMenuSession;
}

/** Files are the plugin's whose state the worker opened: its identity, never a message's word. */
export function openSessions(services: StateServices): WorkerSessions {
  const state = new StateSession(services);
  const files = new FileSession(
    { files: services.plugins.files, now: services.now },
    () => state.plugin,
  );
  return { state, files, richMenus: new RichMenuSession() };
}

/** Rolls back the transactions and drops the uploads the worker left open. */
export async function closeSessions(sessions: WorkerSessions): Promise<void> {
  await Promise.all([sessions.state.close(), sessions.files.close()]);
}
