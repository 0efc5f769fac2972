/**
 * The rich menu calls the host makes, with the channel's token (plugins never hold it). Each is
 * safe to repeat: a menu or alias already gone is gone, an image already uploaded is there. A
 * create is the exception: see `create`.
 */
import { HTTPFetchError } from "@line/bot-sdk";
import type { LineClient } from "../line/client.ts";
import type { ImageType } from "../line/image-size.ts";
import { mayHaveReachedLine } from "../line/retry.ts";

/** LINE takes at most 500 users per bulk link. */
export const BULK_LINK_USERS = 500;

const status = (error: unknown) => (error instanceof HTTPFetchError ? error.status : undefined);
const bodyOf = (error: unknown) => (error instanceof HTTPFetchError ? error.body : "");

/** A create that failed in a way LINE may have acted on: retrying could make a second menu. */
class MaybeCreated extends Error {
  override name = "MaybeCreated";
}

/** An existing menu of LINE's list: its id and the name the host gave it. */
export interface ListedMenu {
  richMenuId: string;
  name: string;
}

export class RichMenuLine {
  readonly #client: LineClient;

  constructor(client: LineClient) {
    this.#client = client;
  }

  /**
   * Creates the menu; its id. Retried only when LINE refused it (429): after a 5xx or no answer
   * LINE may have made it, and the next sync finds it by its name (`list`) instead of making another.
   */
  async create(menu: Record<string, unknown>): Promise<string> {
    const created = await this.#client.call("richmenu", async () => {
      try {
        return await this.#client.api.createRichMenu(menu as never);
      } catch (error) {
        if (mayHaveReachedLine(error))
          throw new MaybeCreated(`LINE may have created the rich menu: ${String(error)}`);
        throw error;
      }
    });
    return created.richMenuId;
  }

  /** The channel's menus, to find one a create that seemed to fail made after all. */
  async list(): Promise<ListedMenu[]> {
    const { richmenus } = await this.#client.call("richmenu", () =>
      this.#client.api.getRichMenuList(),
    );
    return richmenus.map(({ richMenuId, name }) => ({ richMenuId, name }));
  }

  /** LINE keeps a menu's first image: an image already there counts as uploaded. */
  async upload(richMenuId: string, image: Uint8Array, type: ImageType): Promise<void> {
    const blob = new Blob([image as Uint8Array<ArrayBuffer>], { type });
    try {
      await this.#client.call("richmenu", () =>
        this.#client.blob.setRichMenuImage(richMenuId, blob),
      );
    } catch (error) {
      if (status(error) === 400 && /already been uploaded/i.test(bodyOf(error))) return;
      throw error;
    }
  }

  /** A menu already deleted (by hand, or by an earlier sync) is gone all the same. */
  async delete(richMenuId: string): Promise<void> {
    await this.#tolerating404(() => this.#client.api.deleteRichMenu(richMenuId));
  }

  /**
   * Points the alias at the menu: updated when the host made it before (`known`), else created;
   * each falls back on the other when LINE says the alias is (not) there.
   */
  async pointAlias(alias: string, richMenuId: string, known: boolean): Promise<void> {
    const update = () =>
      this.#client.call("richmenu", () =>
        this.#client.api.updateRichMenuAlias(alias, { richMenuId }),
      );
    const create = () =>
      this.#client.call("richmenu", () =>
        this.#client.api.createRichMenuAlias({ richMenuAliasId: alias, richMenuId }),
      );
    try {
      await (known ? update() : create());
    } catch (error) {
      const other = known ? status(error) === 404 : status(error) === 400;
      if (!other) throw error;
      await (known ? create() : update());
    }
  }

  async deleteAlias(alias: string): Promise<void> {
    await this.#tolerating404(() => this.#client.api.deleteRichMenuAlias(alias));
  }

  async setDefault(richMenuId: string): Promise<void> {
    await this.#client.call("richmenu", () => this.#client.api.setDefaultRichMenu(richMenuId));
  }

  /** Clears the default, if it is still this menu (an operator may have set another since). */
  async clearDefault(richMenuId: string): Promise<void> {
    const current = await this.#tolerating404(() => this.#client.api.getDefaultRichMenuId());
    if (current?.richMenuId !== richMenuId) return;
    await this.#client.call("richmenu", () => this.#client.api.cancelDefaultRichMenu());
  }

  async link(userId: string, richMenuId: string): Promise<void> {
    await this.#client.call("richmenu", () =>
      this.#client.api.linkRichMenuIdToUser(userId, richMenuId),
    );
  }

  /** Up to `BULK_LINK_USERS` users at once. */
  async linkMany(userIds: string[], richMenuId: string): Promise<void> {
    await this.#client.call("richmenu", () =>
      this.#client.api.linkRichMenuIdToUsers({ richMenuId, userIds }),
    );
  }

  async unlink(userId: string): Promise<void> {
    await this.#client.call("richmenu", () => this.#client.api.unlinkRichMenuIdFromUser(userId));
  }

  async #tolerating404<T>(call: () => Promise<T>): Promise<T | undefined> {
    try {
      return await this.#client.call("richmenu", call);
    } catch (error) {
      if (status(error) === 404) return undefined;
      throw error;
    }
  }
}
