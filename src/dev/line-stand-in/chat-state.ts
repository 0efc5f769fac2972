/** The groups and rooms the bot is in, and who is in them, as LINE's group endpoints see them. */

export interface ChatSpec {
  /** Groups only: the name and icon `GET /v2/bot/group/{groupId}/summary` answers. */
  name?: string;
  pictureUrl?: string;
  /** User ids of the members (the bot not counted, as LINE counts). */
  members?: Iterable<string>;
}

interface Chat {
  name: string;
  pictureUrl?: string;
  members: Set<string>;
}

type Kind = "group" | "room";

interface EventLike {
  type?: unknown;
  source?: { type?: unknown; groupId?: unknown; roomId?: unknown; userId?: unknown };
  joined?: { members?: Array<{ userId?: unknown }> };
  left?: { members?: Array<{ userId?: unknown }> };
}

const userIdsOf = (members: Array<{ userId?: unknown }> | undefined): string[] =>
  (members ?? []).flatMap((member) => (typeof member.userId === "string" ? [member.userId] : []));

/**
 * Kept current by the webhook events the bot is sent (`observe`): the bot joins and leaves,
 * members join and leave, and whoever speaks in a chat is in it.
 */
export class ChatState {
  readonly #chats = new Map<string, Chat>();

  set(kind: Kind, id: string, spec: ChatSpec = {}): void {
    const known = this.#chats.get(`${kind}:${id}`);
    this.#chats.set(`${kind}:${id}`, {
      name: spec.name ?? known?.name ?? `Group ${id.slice(-4)}`,
      ...(spec.pictureUrl !== undefined ? { pictureUrl: spec.pictureUrl } : {}),
      members: new Set(spec.members ?? known?.members ?? []),
    });
  }

  get(kind: Kind, id: string): Readonly<Chat> | undefined {
    return this.#chats.get(`${kind}:${id}`);
  }

  /** The bot leaves: LINE no longer answers for the chat. */
  leave(kind: Kind, id: string): boolean {
    return this.#chats.delete(`${kind}:${id}`);
  }

  observe(event: EventLike): void {
    const source = event.source;
    const kind = source?.type;
    if (kind !== "group" && kind !== "room") return;
    const id = kind === "group" ? source?.groupId : source?.roomId;
    if (typeof id !== "string") return;
    if (event.type === "leave") {
      this.leave(kind, id);
      return;
    }
    if (!this.#chats.has(`${kind}:${id}`)) this.set(kind, id);
    const chat = this.#chats.get(`${kind}:${id}`) as Chat;
    if (typeof source?.userId === "string") chat.members.add(source.userId);
    for (const userId of userIdsOf(event.joined?.members)) chat.members.add(userId);
    for (const userId of userIdsOf(event.left?.members)) chat.members.delete(userId);
  }
}
