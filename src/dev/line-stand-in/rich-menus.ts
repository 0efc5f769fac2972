/** The rich menu endpoints: menus, their images (data API), the default, links and aliases. */

import { imageSize } from "../../line/image-size.ts";
import type { RouteRequest } from "./handler.ts";
import { checkedBody, type Json } from "./requests.ts";
import { MAX_RICH_MENUS, type StoredRichMenu } from "./rich-menu-state.ts";
import type { PlatformState } from "./state.ts";
import {
  bodyErrors,
  invalidParameter,
  isRichMenuId,
  isUserId,
  lineError,
  MESSAGES,
  OK,
  type Outcome,
} from "./wire.ts";

/** "Max file size: 1 MB" for a rich menu image. */
export const MAX_RICH_MENU_IMAGE_BYTES = 1024 * 1024;
const MUST_UPLOAD = "must upload richmenu image before applying it to user";

const asResponse = ({ richMenuId, menu }: StoredRichMenu) => ({ richMenuId, ...menu });

/** The menu named in the path, or LINE's answer: 400 for a malformed id, 404 for an unknown one. */
function menuOf(state: PlatformState, req: RouteRequest): StoredRichMenu | Outcome {
  const id = req.params.richMenuId ?? "";
  if (!isRichMenuId(id)) return invalidParameter("richMenuId");
  return state.richMenusOf(req.channel).menus.get(id) ?? lineError(404, MESSAGES.notFound);
}

function isOutcome(value: StoredRichMenu | Outcome): value is Outcome {
  return "status" in value;
}

export function createRichMenu(state: PlatformState, req: RouteRequest): Outcome {
  const body = checkedBody(req, "RichMenuRequest");
  if (!body.ok) return body.outcome;
  if (state.richMenusOf(req.channel).menus.size >= MAX_RICH_MENUS)
    return lineError(400, "The maximum number of richmenus has been reached");
  const { richMenuId } = state.richMenusOf(req.channel).create(body.value);
  return { status: 200, body: { richMenuId } };
}

export function validateRichMenu(_state: PlatformState, req: RouteRequest): Outcome {
  const body = checkedBody(req, "RichMenuRequest");
  return body.ok ? OK : body.outcome;
}

export function getRichMenu(state: PlatformState, req: RouteRequest): Outcome {
  const menu = menuOf(state, req);
  return isOutcome(menu) ? menu : { status: 200, body: asResponse(menu) };
}

export function listRichMenus(state: PlatformState, req: RouteRequest): Outcome {
  return {
    status: 200,
    body: { richmenus: [...state.richMenusOf(req.channel).menus.values()].map(asResponse) },
  };
}

export function deleteRichMenu(state: PlatformState, req: RouteRequest): Outcome {
  const menu = menuOf(state, req);
  if (isOutcome(menu)) return menu;
  state.richMenusOf(req.channel).delete(menu.richMenuId);
  return OK;
}

/** The image must be a JPEG or PNG of at most 1 MB, exactly the size the menu declares. */
export function uploadRichMenuImage(state: PlatformState, req: RouteRequest): Outcome {
  const menu = menuOf(state, req);
  if (isOutcome(menu)) return menu;
  if (menu.image !== undefined)
    return lineError(400, "An image has already been uploaded to the richmenu");
  const contentType = req.contentType?.split(";")[0]?.trim() ?? "";
  const size = imageSize(req.bytes);
  const declared = menu.menu.size as { width: number; height: number };
  const fits =
    (contentType === "image/jpeg" || contentType === "image/png") &&
    req.bytes.byteLength <= MAX_RICH_MENU_IMAGE_BYTES &&
    size?.width === declared.width &&
    size.height === declared.height;
  if (!fits) return lineError(400, "The image size is not allowed for richmenu");
  menu.image = { bytes: req.bytes.slice(), contentType };
  return OK;
}

export function downloadRichMenuImage(state: PlatformState, req: RouteRequest): Outcome {
  const menu = menuOf(state, req);
  if (isOutcome(menu)) return menu;
  if (menu.image === undefined) return lineError(404, MESSAGES.notFound);
  return { status: 200, bytes: menu.image.bytes, contentType: menu.image.contentType };
}

/** A menu users may be shown: it exists and has its image. */
function applicable(state: PlatformState, req: RouteRequest): StoredRichMenu | Outcome {
  const menu = menuOf(state, req);
  if (isOutcome(menu)) return menu;
  return menu.image === undefined ? lineError(400, MUST_UPLOAD) : menu;
}

export function setDefaultRichMenu(state: PlatformState, req: RouteRequest): Outcome {
  const menu = applicable(state, req);
  if (isOutcome(menu)) return menu;
  state.richMenusOf(req.channel).defaultId = menu.richMenuId;
  return OK;
}

export function getDefaultRichMenu(state: PlatformState, req: RouteRequest): Outcome {
  const richMenuId = state.richMenusOf(req.channel).defaultId;
  if (richMenuId === undefined) return lineError(404, "no default richmenu");
  return { status: 200, body: { richMenuId } };
}

export function clearDefaultRichMenu(state: PlatformState, req: RouteRequest): Outcome {
  state.richMenusOf(req.channel).defaultId = undefined;
  return OK;
}

export function linkRichMenu(state: PlatformState, req: RouteRequest): Outcome {
  const userId = req.params.userId ?? "";
  if (!isUserId(userId)) return invalidParameter("userId");
  const menu = applicable(state, req);
  if (isOutcome(menu)) return menu;
  state.richMenusOf(req.channel).links.set(userId, menu.richMenuId);
  return OK;
}

export function getUserRichMenu(state: PlatformState, req: RouteRequest): Outcome {
  const userId = req.params.userId ?? "";
  if (!isUserId(userId)) return invalidParameter("userId");
  const richMenuId = state.richMenusOf(req.channel).links.get(userId);
  if (richMenuId === undefined) return lineError(404, "the user has no richmenu");
  return { status: 200, body: { richMenuId } };
}

export function unlinkRichMenu(state: PlatformState, req: RouteRequest): Outcome {
  const userId = req.params.userId ?? "";
  if (!isUserId(userId)) return invalidParameter("userId");
  state.richMenusOf(req.channel).links.delete(userId);
  return OK;
}

/** The menu a request body names, by LINE's rules for bulk links and aliases. */
function namedMenu(state: PlatformState, req: RouteRequest, body: Json): StoredRichMenu | Outcome {
  const id = String(body.richMenuId);
  if (!isRichMenuId(id))
    return bodyErrors([{ message: "invalid richMenuId", property: "richMenuId" }]);
  return state.richMenusOf(req.channel).menus.get(id) ?? lineError(404, "richmenu not found");
}

export function bulkLinkRichMenu(state: PlatformState, req: RouteRequest): Outcome {
  const body = checkedBody(req, "RichMenuBulkLinkRequest");
  if (!body.ok) return body.outcome;
  const menu = namedMenu(state, req, body.value);
  if (isOutcome(menu)) return menu;
  if (menu.image === undefined) return lineError(400, MUST_UPLOAD);
  for (const userId of body.value.userIds as string[])
    state.richMenusOf(req.channel).links.set(userId, menu.richMenuId);
  return { status: 202, body: {} };
}

export function bulkUnlinkRichMenu(state: PlatformState, req: RouteRequest): Outcome {
  const body = checkedBody(req, "RichMenuBulkUnlinkRequest");
  if (!body.ok) return body.outcome;
  for (const userId of body.value.userIds as string[])
    state.richMenusOf(req.channel).links.delete(userId);
  return { status: 202, body: {} };
}

const ALIAS_NOT_FOUND = "richmenu alias not found";

export function createRichMenuAlias(state: PlatformState, req: RouteRequest): Outcome {
  const body = checkedBody(req, "CreateRichMenuAliasRequest");
  if (!body.ok) return body.outcome;
  const menu = namedMenu(state, req, body.value);
  if (isOutcome(menu)) return menu;
  const aliasId = String(body.value.richMenuAliasId);
  if (state.richMenusOf(req.channel).aliases.has(aliasId))
    return lineError(400, "conflict richmenu alias id");
  state.richMenusOf(req.channel).aliases.set(aliasId, menu.richMenuId);
  return OK;
}

export function updateRichMenuAlias(state: PlatformState, req: RouteRequest): Outcome {
  const aliasId = req.params.richMenuAliasId ?? "";
  if (!state.richMenusOf(req.channel).aliases.has(aliasId)) return lineError(404, ALIAS_NOT_FOUND);
  const body = checkedBody(req, "UpdateRichMenuAliasRequest");
  if (!body.ok) return body.outcome;
  const menu = namedMenu(state, req, body.value);
  if (isOutcome(menu)) return menu;
  state.richMenusOf(req.channel).aliases.set(aliasId, menu.richMenuId);
  return OK;
}

export function getRichMenuAlias(state: PlatformState, req: RouteRequest): Outcome {
  const richMenuAliasId = req.params.richMenuAliasId ?? "";
  const richMenuId = state.richMenusOf(req.channel).aliases.get(richMenuAliasId);
  if (richMenuId === undefined) return lineError(404, ALIAS_NOT_FOUND);
  return { status: 200, body: { richMenuAliasId, richMenuId } };
}

export function deleteRichMenuAlias(state: PlatformState, req: RouteRequest): Outcome {
  const deleted = state.richMenusOf(req.channel).aliases.delete(req.params.richMenuAliasId ?? "");
  return deleted ? OK : lineError(404, ALIAS_NOT_FOUND);
}

export function listRichMenuAliases(state: PlatformState, req: RouteRequest): Outcome {
  const aliases = [...state.richMenusOf(req.channel).aliases].map(
    ([richMenuAliasId, richMenuId]) => ({
      richMenuAliasId,
      richMenuId,
    }),
  );
  return { status: 200, body: { aliases } };
}
