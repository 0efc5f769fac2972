/**
 * Actions: what a button, a quick reply, an area or a component does when tapped. Each is checked
 * on its own when built (data and text lengths, required properties); the label limits that
 * depend on where the action goes (20 in a quick reply, 12 in an image carousel) are checked by
 * the message that holds it.
 */

import type { messagingApi } from "@line/bot-sdk";
import { built, defined, type Options } from "./built.ts";

type Postback = messagingApi.PostbackAction;
type Datetime = messagingApi.DatetimePickerAction;

export const action = {
  /** Sends a postback event with `data`; `displayText` appears in the chat as the user's. */
  postback(
    label: string,
    data: string,
    options: Options<Postback, "label" | "data"> = {},
  ): Postback {
    return built("Action", defined({ type: "postback", label, data, ...options }));
  },
  /** The user sends `text` (the label by default) as a message. */
  message(label: string, text: string = label): messagingApi.MessageAction {
    return built("Action", { type: "message", label, text });
  },
  /** Opens `uri` (http, https, line or tel); `altUri.desktop` on LINE for PC. */
  uri(label: string, uri: string, altUri?: messagingApi.AltUri): messagingApi.URIAction {
    return built("Action", defined({ type: "uri", label, uri, altUri }));
  },
  /**
   * Lets the user pick a date, a time or both; the postback event carries `data` and the choice
   * in `params` (`date`, `time` or `datetime`).
   */
  datetime(
    label: string,
    data: string,
    mode: Datetime["mode"],
    range: Pick<Datetime, "initial" | "min" | "max"> = {},
  ): Datetime {
    return built("Action", defined({ type: "datetimepicker", label, data, mode, ...range }));
  },
  /** Quick reply only: opens the camera. */
  camera(label: string): messagingApi.CameraAction {
    return built("Action", { type: "camera", label });
  },
  /** Quick reply only: opens the camera roll. */
  cameraRoll(label: string): messagingApi.CameraRollAction {
    return built("Action", { type: "cameraRoll", label });
  },
  /** Quick reply only: opens the location screen; the user sends a location message. */
  location(label: string): messagingApi.LocationAction {
    return built("Action", { type: "location", label });
  },
  /** Rich menus only: switches to the rich menu of `richMenuAliasId`, with a postback of `data`. */
  richMenuSwitch(
    label: string,
    richMenuAliasId: string,
    data: string,
  ): messagingApi.RichMenuSwitchAction {
    return built("Action", { type: "richmenuswitch", label, richMenuAliasId, data });
  },
  /** Copies `clipboardText` to the user's clipboard. */
  clipboard(label: string, clipboardText: string): messagingApi.ClipboardAction {
    return built("Action", { type: "clipboard", label, clipboardText });
  },
};
