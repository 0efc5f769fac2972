/**
 * What people upload: the bytes go to the LINE stand-in, which serves them as LINE's content API
 * would (plugins really download them), and a copy stays here for the page to show.
 */

import { messageId } from "../events/mod.ts";
import type { LineStandIn } from "../line-stand-in/mod.ts";
import { BoundedContents } from "../line-stand-in/mod.ts";
import { json, SimulatorRequestError } from "./http.ts";

export const MAX_UPLOAD_BYTES = 20 * 1024 * 1024;

/** An uploaded file, as the message that carries it: its id at LINE, its type and size. */
export interface UploadedMessage {
  id: string;
  contentType: string;
  size: number;
}

interface Content {
  bytes: Uint8Array;
  contentType: string;
}

export class Uploads {
  readonly #standIn: LineStandIn;
  /** Count and bytes bounded, whatever is uploaded (the stand-in keeps its own copy likewise). */
  readonly #content = new BoundedContents<Content>();

  constructor(standIn: LineStandIn) {
    this.#standIn = standIn;
  }

  /** Takes the request's body as a new message's content; 400 when empty, 413 when too big. */
  async receive(request: Request): Promise<UploadedMessage> {
    const bytes = new Uint8Array(await request.arrayBuffer());
    if (bytes.length === 0) throw new SimulatorRequestError(400, "the upload is empty");
    if (bytes.length > MAX_UPLOAD_BYTES)
      throw new SimulatorRequestError(413, `uploads are limited to ${MAX_UPLOAD_BYTES} bytes`);
    const contentType = request.headers.get("content-type") || "application/octet-stream";
    const id = messageId();
    this.#standIn.addContent(id, { bytes, contentType });
    this.#content.set(id, { bytes, contentType });
    return { id, contentType, size: bytes.length };
  }

  /** The message was unsent: its content is gone at LINE too, and a late download gets 410. */
  unsent(id: string): void {
    if (this.#content.delete(id)) this.#standIn.setContentGone(id, 410);
  }

  /** The uploaded bytes, for the page to show. */
  serve(id: string): Response {
    const content = this.#content.get(id);
    if (!content) return json(404, { error: "no such content" });
    // Whatever was uploaded is served as data, never as a page of this origin: no sniffing,
    // a sandbox for anything rendered, and a download for what a browser would not show inline.
    const media = /^(image|video|audio)\//.test(content.contentType);
    return new Response(content.bytes.slice(), {
      headers: {
        "content-type": content.contentType,
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
        "content-security-policy": "sandbox; default-src 'none'",
        "content-disposition": media ? "inline" : "attachment",
      },
    });
  }
}
