/** Content (api-data) endpoints: what users sent, as LINE serves it. */

import type { RouteRequest } from "./handler.ts";
import type { PlatformState, StoredContent } from "./state.ts";
import { lineError, MESSAGES, type Outcome } from "./wire.ts";

type Available = StoredContent & Pick<Required<StoredContent>, "bytes" | "contentType">;

/** The content, or LINE's answer for unknown (404) and unsent or expired (404/410) content. */
function lookUp(state: PlatformState, req: RouteRequest): Available | Outcome {
  const content = state.contents.get(req.params.messageId ?? "");
  if (content?.gone === 410) return lineError(410, MESSAGES.contentGone);
  if (content === undefined || content.gone === 404 || !isAvailable(content)) {
    return lineError(404, MESSAGES.contentNotFound);
  }
  return content;
}

function isAvailable(content: StoredContent): content is Available {
  return content.bytes !== undefined && content.contentType !== undefined;
}

function isOutcome(value: Available | Outcome): value is Outcome {
  return "status" in value;
}

/** LINE transcodes only video and audio; an explicit transcoding state marks content as such. */
function isTranscoded(content: Available): boolean {
  return content.transcoding !== undefined || /^(video|audio)\//.test(content.contentType);
}

export function getContent(state: PlatformState, req: RouteRequest): Outcome {
  const content = lookUp(state, req);
  if (isOutcome(content)) return content;
  // 202 with an empty body: LINE's "still preparing", which the SDK resolves as an empty success.
  if (content.transcoding === "processing") return { status: 202 };
  // LINE does not document this case; content that failed to prepare cannot be fetched.
  if (content.transcoding === "failed") return lineError(404, MESSAGES.contentNotFound);
  const { bytes, contentType, chunked } = content;
  return { status: 200, bytes, contentType, chunked };
}

export function getTranscoding(state: PlatformState, req: RouteRequest): Outcome {
  const content = lookUp(state, req);
  if (isOutcome(content)) return content;
  if (!isTranscoded(content)) return lineError(400, MESSAGES.transcodingUnsupported);
  return { status: 200, body: { status: content.transcoding ?? "succeeded" } };
}

export function getPreview(state: PlatformState, req: RouteRequest): Outcome {
  const content = lookUp(state, req);
  if (isOutcome(content)) return content;
  if (!/^(image|video)\//.test(content.contentType)) {
    return lineError(400, MESSAGES.previewUnsupported);
  }
  const preview = content.preview ?? content.bytes;
  const contentType = content.preview !== undefined ? "image/jpeg" : content.contentType;
  return { status: 200, bytes: preview, contentType, chunked: content.chunked };
}
