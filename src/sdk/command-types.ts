/** The types of commands and postback routes, as plugins declare them. */
import type { messagingApi } from "@line/bot-sdk";
import type { z } from "zod";

/** Route name → the zod schema of its data. */
export type PostbackSchemas = Record<string, z.ZodType>;

/** What a command's handler gets for its arguments: the schema's output, or nothing. */
export type ArgsOf<A> = A extends z.ZodType ? z.output<A> : undefined;

/** A command: `Ctx` is the handler's context, `E` the text message event it answers. */
export interface CommandSpec<A, Ctx, E> {
  /** One line, shown by `help`. */
  description: string;
  /** How to write it, shown by `help` and after a parse error (default: the name). */
  usage?: string;
  /** Other words for it (`["ls"]` for `list`); case is ignored, as for the name. */
  aliases?: readonly string[];
  /**
   * The arguments: a schema over a string gets the text after the command word; a tuple gets its
   * words (the last item takes the rest when it is a string). Without it the command takes none.
   */
  args?: A;
  /** In a group or room, count only when the bot is mentioned (default: the plugin's `mention`). */
  mention?: boolean;
  handle(args: ArgsOf<A>, event: E, ctx: Ctx): unknown;
}

/** A postback route: `Ctx` is the handler's context, `E` the postback event. */
export interface PostbackSpec<D extends z.ZodType, Ctx, E> {
  /** The data the route's actions carry; checked when an action is built and when it comes back. */
  data: D;
  handle(data: z.output<D>, event: E, ctx: Ctx): unknown;
}

/** `ctx.postback`'s options: the button's label, and what the chat shows when it is tapped. */
export type PostbackOptions = { label: string } & Pick<
  messagingApi.PostbackAction,
  "displayText" | "inputOption" | "fillInText"
>;

/** `ctx.datetimePicker`'s options: the label, what to pick, and the picker's range. */
export type DatetimePickerOptions = { label: string } & Pick<
  messagingApi.DatetimePickerAction,
  "mode" | "initial" | "min" | "max"
>;
