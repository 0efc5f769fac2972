import { describe, expect, test } from "bun:test";
import { z } from "zod";
import { closest } from "../../src/sdk/closest.ts";
import {
  CommandArgumentsError,
  findCommand,
  helpText,
  isExplicit,
  parseArguments,
  readCommand,
} from "../../src/sdk/commands.ts";

const BOT = "Ufedcba9876543210fedcba9876543210";
const text = (
  body: string,
  extra: object = {},
  source: object = { type: "user", userId: "U1" },
) => ({
  type: "message",
  source,
  message: { type: "text", id: "1", text: body, ...extra },
});

describe("readCommand", () => {
  test("in a 1:1 chat every text is addressed; the first word is the command", () => {
    expect(readCommand(text("Remind me in 5 minutes"), BOT)).toEqual({
      word: "remind",
      rest: "me in 5 minutes",
      addressed: true,
      slash: false,
      inGroup: false,
    });
    const help = readCommand(text("/help"), BOT);
    expect(help).toEqual({ word: "help", rest: "", addressed: true, slash: true, inGroup: false });
    expect(help && isExplicit(help)).toBe(true);
    const chat = readCommand(text("help me"), BOT);
    expect(chat && isExplicit(chat)).toBe(false);
  });

  test("in a group only a mention of the bot addresses it, and the mention is cut out", () => {
    const group = { type: "group", groupId: "C1", userId: "U1" };
    // The mention stands after an emoji: its index counts UTF-16 units ("😀" is two).
    const body = "add team snacks 😀 @hotline";
    const mention = { mentionees: [{ type: "user", index: 19, length: 8, isSelf: true }] };
    expect(readCommand(text(body, { mention }, group), BOT)).toEqual({
      word: "add",
      rest: "team snacks 😀",
      addressed: true,
      slash: false,
      inGroup: true,
    });
    const plain = readCommand(text("add team snacks", {}, group), BOT);
    expect(plain?.addressed).toBe(false);
    const byId = { mentionees: [{ type: "user", index: 0, length: 8, userId: BOT }] };
    expect(readCommand(text("@hotline ping", { mention: byId }, group), BOT)).toMatchObject({
      word: "ping",
      addressed: true,
    });
    // Another user's mention stays: it is what the command is about.
    const other = { mentionees: [{ type: "user", index: 4, length: 6, userId: "U2" }] };
    expect(readCommand(text("hug @Alice", { mention: other }, group), BOT)).toMatchObject({
      addressed: false,
      rest: "@Alice",
    });
  });

  test("anything but a text message is no command", () => {
    expect(readCommand({ type: "follow" }, BOT)).toBeUndefined();
    expect(readCommand({ type: "message", message: { type: "sticker" } }, BOT)).toBeUndefined();
  });
});

describe("commands", () => {
  const commands = [
    {
      name: "remind",
      aliases: ["r"],
      description: "remind you later",
      usage: "remind me in <n> <unit> to <text>",
    },
    { name: "list", aliases: [], description: undefined, usage: undefined },
  ];

  test("found by name or alias, case ignored; near misses suggest the closest", () => {
    expect(findCommand(commands, "remind")?.name).toBe("remind");
    expect(findCommand(commands, "r")?.name).toBe("remind");
    expect(findCommand(commands, "nope")).toBeUndefined();
    expect(closest("remnd", ["remind", "list"])).toBe("remind");
    // A swap of two neighbours is one edit.
    expect(closest("lsit", ["remind", "list"], 1)).toBe("list");
    expect(closest("xyz", ["remind", "list"])).toBeUndefined();
  });

  test("arguments: a string schema gets the rest, a tuple its words (the last takes the remainder)", () => {
    expect(parseArguments(z.string().min(1), "team snacks")).toBe("team snacks");
    const tuple = z.tuple([z.coerce.number().int().positive(), z.string()]);
    expect(parseArguments(tuple, "3 buy milk and eggs")).toEqual([3, "buy milk and eggs"]);
    expect(() => parseArguments(tuple, "x milk")).toThrow(CommandArgumentsError);
    expect(() => parseArguments(z.string().min(1, "say what to add"), "")).toThrow(
      "say what to add",
    );
  });

  test("help lists every command with its usage and description", () => {
    expect(helpText(commands)).toBe(
      "Commands:\nremind me in <n> <unit> to <text> — remind you later\nlist\nhelp — this list",
    );
  });
});
