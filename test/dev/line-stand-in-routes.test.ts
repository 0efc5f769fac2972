/**
 * Every route of the LINE stand-in, driven through `@line/bot-sdk`'s own clients: one valid call
 * and one LINE refuses, each answered as LINE documents it. Then the state across routes.
 */
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { HTTPFetchError, messagingApi } from "@line/bot-sdk";
import { LineStandIn, type LineStandInOptions } from "../../src/dev/line-stand-in/mod.ts";
import { samplePng } from "../e2e/png.ts";

const TOKEN = "test-channel-access-token";
const hex = (digit: string) => digit.repeat(32);
const USER = `U${hex("a")}`;
const OTHER = `U${hex("b")}`;
const GROUP = `C${hex("c")}`;
const ROOM = `R${hex("d")}`;
const MISSING_MENU = `richmenu-${hex("0")}`;

let standIn = makeStandIn();
function makeStandIn(options: Partial<LineStandInOptions> = {}): LineStandIn {
  return new LineStandIn({ channelAccessToken: TOKEN, strictReplyTokens: true, ...options });
}

const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: (r) => standIn.fetch(r) });
const baseURL = `http://127.0.0.1:${server.port}`;
const client = new messagingApi.MessagingApiClient({ channelAccessToken: TOKEN, baseURL });
const blob = new messagingApi.MessagingApiBlobClient({ channelAccessToken: TOKEN, baseURL });
afterAll(() => server.stop(true));
beforeEach(() => {
  standIn = makeStandIn();
});

/** The status and body LINE answered a call with, which must fail. */
async function refused(call: Promise<unknown>): Promise<{ status: number; body: unknown }> {
  try {
    await call;
  } catch (error) {
    if (error instanceof HTTPFetchError)
      return { status: error.status, body: JSON.parse(error.body) };
    throw error;
  }
  throw new Error("expected LINE to refuse the call");
}

const text = (value: string): messagingApi.TextMessage => ({ type: "text", text: value });
const tooLong = text("a".repeat(5001));
const lengthError = (property: string) => ({
  message: "The request body has 1 error(s)",
  details: [{ message: "Length must be between 1 and 5000", property }],
});
const menu = (size = { width: 2500, height: 843 }): messagingApi.RichMenuRequest => ({
  size,
  selected: false,
  name: "menu",
  chatBarText: "Menu",
  areas: [{ bounds: { x: 0, y: 0, ...size }, action: { type: "postback", data: "tap" } }],
});

/** PNGs by size, made once: a 2500×843 one takes a while to compress. */
const pngs = new Map<string, Uint8Array<ArrayBuffer>>();
function png(width: number, height: number): Blob {
  const key = `${width}x${height}`;
  const bytes = pngs.get(key) ?? samplePng(width, height);
  pngs.set(key, bytes);
  return new Blob([bytes], { type: "image/png" });
}

/** A rich menu with its image, ready to link. */
async function readyMenu(): Promise<string> {
  const { richMenuId } = await client.createRichMenu(menu());
  await blob.setRichMenuImage(richMenuId, png(2500, 843));
  return richMenuId;
}

describe("sending", () => {
  test("reply: valid, then a text over 5,000 characters", async () => {
    const token = standIn.issueReplyToken();
    const { sentMessages } = await client.replyMessage({
      replyToken: token,
      messages: [text("hi")],
    });
    expect(sentMessages).toHaveLength(1);
    const other = standIn.issueReplyToken();
    expect(await refused(client.replyMessage({ replyToken: other, messages: [tooLong] }))).toEqual({
      status: 400,
      body: lengthError("messages[0].text"),
    });
  });

  test("push: valid, then 14 quick reply items, 45-character labels and 400-character data", async () => {
    await client.pushMessage({ to: USER, messages: [text("hi")] });
    expect(standIn.pushes).toHaveLength(1);
    const items = Array.from({ length: 14 }, () => ({
      type: "action" as const,
      action: { type: "postback" as const, label: "l".repeat(45), data: "d".repeat(400) },
    }));
    const answer = await refused(
      client.pushMessage({ to: USER, messages: [{ ...text("pick"), quickReply: { items } }] }),
    );
    expect(answer.status).toBe(400);
    const details = (answer.body as { details: Array<{ message: string; property: string }> })
      .details;
    expect(details).toContainEqual({
      message: "Size must be between 1 and 13",
      property: "messages[0].quickReply.items",
    });
    expect(details).toContainEqual({
      message: "Length must be between 1 and 20",
      property: "messages[0].quickReply.items[0].action.label",
    });
    expect(details).toContainEqual({
      message: "Length must be between 0 and 300",
      property: "messages[0].quickReply.items[0].action.data",
    });
    expect(standIn.pushes).toHaveLength(1);
  });

  test("multicast: valid, then a group id among the users", async () => {
    await client.multicast({ to: [USER, OTHER], messages: [text("hi")] });
    expect(standIn.casts).toMatchObject([{ kind: "multicast", to: [USER, OTHER] }]);
    expect(await refused(client.multicast({ to: [USER, GROUP], messages: [text("hi")] }))).toEqual({
      status: 400,
      body: {
        message: "The property, 'to[1]', in the request body is invalid (line: -, column: -)",
      },
    });
  });

  test("narrowcast: accepted, its progress succeeded; a bad message is refused", async () => {
    standIn.observe({ type: "follow", source: { type: "user", userId: USER } });
    const response = await client.narrowcastWithHttpInfo({ messages: [text("hi")] });
    expect(response.httpResponse.status).toBe(202);
    const requestId = response.httpResponse.headers.get("x-line-request-id") as string;
    expect(await client.getNarrowcastProgress(requestId)).toMatchObject({
      phase: "succeeded",
      successCount: 1,
      targetCount: 1,
    });
    expect((await refused(client.narrowcast({ messages: [tooLong] }))).status).toBe(400);
    expect((await refused(client.getNarrowcastProgress("unknown"))).status).toBe(404);
  });

  test("broadcast: to every follower; no messages is refused", async () => {
    standIn.observe({ type: "follow", source: { type: "user", userId: USER } });
    await client.broadcast({ messages: [text("hi")] });
    expect(standIn.casts).toMatchObject([{ kind: "broadcast", to: [USER] }]);
    expect(await refused(client.broadcast({ messages: [] }))).toEqual({
      status: 400,
      body: {
        message: "The request body has 1 error(s)",
        details: [{ message: "Size must be between 1 and 5", property: "messages" }],
      },
    });
  });

  test("validate endpoints: 200 for valid messages, LINE's 400 for others, nothing sent", async () => {
    const calls = [
      (messages: messagingApi.Message[]) => client.validateReply({ messages }),
      (messages: messagingApi.Message[]) => client.validatePush({ messages }),
      (messages: messagingApi.Message[]) => client.validateMulticast({ messages }),
      (messages: messagingApi.Message[]) => client.validateNarrowcast({ messages }),
      (messages: messagingApi.Message[]) => client.validateBroadcast({ messages }),
    ];
    for (const validate of calls) {
      expect(await validate([text("ok")])).toEqual({});
      expect(await refused(validate([tooLong]))).toEqual({
        status: 400,
        body: lengthError("messages[0].text"),
      });
    }
    expect(standIn.pushes).toEqual([]);
  });

  test("quota and consumption: pushes count per recipient, over the quota is a 429", async () => {
    standIn = makeStandIn({ monthlyQuota: 3 });
    expect(await client.getMessageQuota()).toEqual({ type: "limited", value: 3 });
    await client.pushMessage({ to: USER, messages: [text("a"), text("b")] });
    await client.multicast({ to: [USER, OTHER], messages: [text("c")] });
    expect(await client.getMessageQuotaConsumption()).toEqual({ totalUsage: 3 });
    expect(await refused(client.pushMessage({ to: USER, messages: [text("d")] }))).toEqual({
      status: 429,
      body: { message: "You have reached your monthly limit." },
    });
  });
});

describe("users, groups and rooms", () => {
  test("profile: valid, then a malformed user id", async () => {
    standIn.setProfile({ userId: USER, displayName: "Taro" });
    expect(await client.getProfile(USER)).toEqual({ userId: USER, displayName: "Taro" });
    expect(await refused(client.getProfile("bob"))).toEqual({
      status: 400,
      body: { message: "The value for the 'userId' parameter is invalid" },
    });
  });

  test("group summary, count, ids and member profiles; a malformed group id", async () => {
    standIn.setGroup(GROUP, { name: "Friends", members: [USER, OTHER] });
    expect(await client.getGroupSummary(GROUP)).toEqual({ groupId: GROUP, groupName: "Friends" });
    expect(await client.getGroupMemberCount(GROUP)).toEqual({ count: 2 });
    expect(await client.getGroupMembersIds(GROUP)).toEqual({ memberIds: [USER, OTHER] });
    expect((await client.getGroupMemberProfile(GROUP, USER)).userId).toBe(USER);
    expect((await refused(client.getGroupMemberProfile(GROUP, `U${hex("e")}`))).status).toBe(404);
    expect(await refused(client.getGroupSummary("friends"))).toEqual({
      status: 400,
      body: { message: "The value for the 'groupId' parameter is invalid" },
    });
  });

  test("member ids come a hundred at a time, `next` leading on", async () => {
    const members = Array.from({ length: 150 }, (_, i) => `U${i.toString(16).padStart(32, "0")}`);
    standIn.setRoom(ROOM, { members });
    const first = await client.getRoomMembersIds(ROOM);
    expect(first.memberIds).toHaveLength(100);
    const second = await client.getRoomMembersIds(ROOM, first.next);
    expect(second.memberIds).toEqual(members.slice(100));
    expect(second.next).toBeUndefined();
    expect(await client.getRoomMemberCount(ROOM)).toEqual({ count: 150 });
    expect((await refused(client.getRoomMembersIds(ROOM, "bogus"))).status).toBe(400);
  });

  test("the member list follows the joins and leaves LINE sent", async () => {
    const source = { type: "group", groupId: GROUP };
    standIn.observe(
      { type: "join", source },
      {
        type: "memberJoined",
        source,
        joined: {
          members: [
            { type: "user", userId: USER },
            { type: "user", userId: OTHER },
          ],
        },
      },
      { type: "memberLeft", source, left: { members: [{ type: "user", userId: USER }] } },
    );
    expect(await client.getGroupMembersIds(GROUP)).toEqual({ memberIds: [OTHER] });
    standIn.observe({
      type: "message",
      source: { ...source, userId: USER },
      message: { type: "text", text: "back" },
    });
    expect(await client.getGroupMemberCount(GROUP)).toEqual({ count: 2 });
  });

  test("leaving: the group and room are gone; a malformed id is refused", async () => {
    standIn = makeStandIn({ unknownUsers: "notFound" });
    standIn.setGroup(GROUP, { members: [USER] });
    standIn.setRoom(ROOM, { members: [USER] });
    await client.leaveGroup(GROUP);
    await client.leaveRoom(ROOM);
    expect((await refused(client.getGroupSummary(GROUP))).status).toBe(404);
    expect((await refused(client.getRoomMemberCount(ROOM))).status).toBe(404);
    expect((await refused(client.leaveRoom("room"))).status).toBe(400);
  });

  test("link token: issued for a user; a malformed user id is refused", async () => {
    expect((await client.issueLinkToken(USER)).linkToken).toMatch(/^[A-Za-z0-9]{32}$/);
    expect((await refused(client.issueLinkToken("bob"))).status).toBe(400);
  });

  test("loading indicator: 202 for a user, LINE's words for a group", async () => {
    expect(await client.showLoadingAnimation({ chatId: USER, loadingSeconds: 10 })).toEqual({});
    expect(await refused(client.showLoadingAnimation({ chatId: GROUP }))).toEqual({
      status: 400,
      body: {
        message: "The request body has 1 error(s)",
        details: [
          {
            message:
              "Only user id is acceptable, please confirm if there are any group/room ids or illegal ids.",
            property: "chatId",
          },
        ],
      },
    });
  });

  test("mark as read: recorded for a user; without a chat it is refused", async () => {
    await client.markMessagesAsRead({ chat: { userId: USER } });
    expect(standIn.markedAsRead).toEqual([USER]);
    const answer = await refused(
      client.markMessagesAsRead({} as messagingApi.MarkMessagesAsReadRequest),
    );
    expect(answer.body).toEqual({
      message: "The request body has 1 error(s)",
      details: [{ message: "must be specified", property: "chat" }],
    });
  });
});

describe("content", () => {
  test("content, preview and transcoding; unknown content is 404", async () => {
    standIn.addContent("1", { bytes: samplePng(2, 2), contentType: "image/png" });
    standIn.addContent("2", { bytes: new Uint8Array([1, 2, 3]), contentType: "video/mp4" });
    expect((await blob.getMessageContentWithHttpInfo("1")).httpResponse.status).toBe(200);
    expect((await blob.getMessageContentPreviewWithHttpInfo("1")).httpResponse.status).toBe(200);
    expect(await blob.getMessageContentTranscodingByMessageId("2")).toEqual({
      status: "succeeded",
    });
    expect((await refused(blob.getMessageContent("404"))).status).toBe(404);
    expect((await refused(blob.getMessageContentTranscodingByMessageId("1"))).status).toBe(400);
  });
});

describe("the bot and its webhook", () => {
  test("bot info, webhook endpoint read, set and tested; an http endpoint is refused", async () => {
    expect((await client.getBotInfo()).userId).toMatch(/^U[0-9a-f]{32}$/);
    await client.setWebhookEndpoint({ endpoint: "https://bot.example.com/webhook" });
    expect(await client.getWebhookEndpoint()).toEqual({
      endpoint: "https://bot.example.com/webhook",
      active: true,
    });
    expect((await client.testWebhookEndpoint({})).success).toBe(false);
    expect(
      (await refused(client.setWebhookEndpoint({ endpoint: "http://bot.example.com" }))).status,
    ).toBe(400);
  });
});

describe("rich menus", () => {
  test("create, validate, get, list, delete; an invalid one is refused with its property", async () => {
    expect(await client.validateRichMenuObject(menu())).toEqual({});
    const { richMenuId } = await client.createRichMenu(menu());
    expect(richMenuId).toMatch(/^richmenu-[0-9a-f]{32}$/);
    expect(await client.getRichMenu(richMenuId)).toMatchObject({ richMenuId, name: "menu" });
    expect((await client.getRichMenuList()).richmenus.map((m) => m.richMenuId)).toEqual([
      richMenuId,
    ]);
    const outside = {
      ...menu(),
      areas: [
        {
          bounds: { x: 100, y: 0, width: 2500, height: 843 },
          action: { type: "postback" as const, data: "tap" },
        },
      ],
    };
    expect(await refused(client.createRichMenu(outside))).toEqual({
      status: 400,
      body: {
        message: "The request body has 1 error(s)",
        details: [
          { message: "The area must be within the rich menu", property: "areas[0].bounds" },
        ],
      },
    });
    expect(
      (await refused(client.validateRichMenuObject({ ...menu(), chatBarText: "c".repeat(15) })))
        .status,
    ).toBe(400);
    await client.deleteRichMenu(richMenuId);
    expect((await refused(client.getRichMenu(richMenuId))).status).toBe(404);
    expect((await refused(client.deleteRichMenu(richMenuId))).status).toBe(404);
  });

  test("the image: uploaded and downloaded through the data API, only at the menu's size", async () => {
    const { richMenuId } = await client.createRichMenu(menu());
    expect(await refused(blob.setRichMenuImage(richMenuId, png(1200, 405)))).toEqual({
      status: 400,
      body: { message: "The image size is not allowed for richmenu" },
    });
    const image = png(2500, 843);
    await blob.setRichMenuImage(richMenuId, image);
    const downloaded = await blob.getRichMenuImageWithHttpInfo(richMenuId);
    expect(downloaded.httpResponse.headers.get("content-type")).toBe("image/png");
    expect((await refused(blob.setRichMenuImage(richMenuId, image))).body).toEqual({
      message: "An image has already been uploaded to the richmenu",
    });
  });

  test("default: set, read, cleared; a menu without its image cannot be the default", async () => {
    const { richMenuId: bare } = await client.createRichMenu(menu());
    expect(await refused(client.setDefaultRichMenu(bare))).toEqual({
      status: 400,
      body: { message: "must upload richmenu image before applying it to user" },
    });
    const richMenuId = await readyMenu();
    await client.setDefaultRichMenu(richMenuId);
    expect(await client.getDefaultRichMenuId()).toEqual({ richMenuId });
    expect(standIn.richMenuOf(USER)?.richMenuId).toBe(richMenuId);
    await client.cancelDefaultRichMenu();
    expect(await refused(client.getDefaultRichMenuId())).toEqual({
      status: 404,
      body: { message: "no default richmenu" },
    });
  });

  test("per user: link, read, unlink; a link must name a menu that exists", async () => {
    const richMenuId = await readyMenu();
    await client.linkRichMenuIdToUser(USER, richMenuId);
    expect(await client.getRichMenuIdOfUser(USER)).toEqual({ richMenuId });
    expect(await refused(client.linkRichMenuIdToUser(USER, MISSING_MENU))).toEqual({
      status: 404,
      body: { message: "Not found" },
    });
    expect(await refused(client.linkRichMenuIdToUser(USER, "menu-1"))).toEqual({
      status: 400,
      body: { message: "The value for the 'richMenuId' parameter is invalid" },
    });
    await client.unlinkRichMenuIdFromUser(USER);
    expect(await refused(client.getRichMenuIdOfUser(USER))).toEqual({
      status: 404,
      body: { message: "the user has no richmenu" },
    });
  });

  test("in bulk: link and unlink many users; an invalid user id or menu id is refused", async () => {
    const richMenuId = await readyMenu();
    await client.linkRichMenuIdToUsers({ richMenuId, userIds: [USER, OTHER] });
    expect(await client.getRichMenuIdOfUser(OTHER)).toEqual({ richMenuId });
    expect(await refused(client.linkRichMenuIdToUsers({ richMenuId, userIds: ["bob"] }))).toEqual({
      status: 400,
      body: {
        message: "The property, 'userIds[0]', in the request body is invalid (line: -, column: -)",
      },
    });
    expect(
      await refused(client.linkRichMenuIdToUsers({ richMenuId: "x", userIds: [USER] })),
    ).toEqual({
      status: 400,
      body: {
        message: "The request body has 1 error(s)",
        details: [{ message: "invalid richMenuId", property: "richMenuId" }],
      },
    });
    expect(
      (await refused(client.linkRichMenuIdToUsers({ richMenuId: MISSING_MENU, userIds: [USER] })))
        .body,
    ).toEqual({
      message: "richmenu not found",
    });
    await client.unlinkRichMenuIdFromUsers({ userIds: [USER, OTHER] });
    expect((await refused(client.getRichMenuIdOfUser(OTHER))).status).toBe(404);
  });

  test("aliases: create, read, update, list, delete; a taken alias id is refused", async () => {
    const first = await readyMenu();
    const second = await readyMenu();
    await client.createRichMenuAlias({ richMenuAliasId: "main", richMenuId: first });
    expect(
      await refused(client.createRichMenuAlias({ richMenuAliasId: "main", richMenuId: second })),
    ).toEqual({
      status: 400,
      body: { message: "conflict richmenu alias id" },
    });
    await client.updateRichMenuAlias("main", { richMenuId: second });
    expect(await client.getRichMenuAlias("main")).toEqual({
      richMenuAliasId: "main",
      richMenuId: second,
    });
    expect(await client.getRichMenuAliasList()).toEqual({
      aliases: [{ richMenuAliasId: "main", richMenuId: second }],
    });
    await client.deleteRichMenuAlias("main");
    expect(await refused(client.getRichMenuAlias("main"))).toEqual({
      status: 404,
      body: { message: "richmenu alias not found" },
    });
  });

  test("deleting a menu removes the default, the links and the aliases that named it", async () => {
    const richMenuId = await readyMenu();
    await client.setDefaultRichMenu(richMenuId);
    await client.linkRichMenuIdToUser(USER, richMenuId);
    await client.createRichMenuAlias({ richMenuAliasId: "gone", richMenuId });
    await client.deleteRichMenu(richMenuId);
    expect((await refused(client.getDefaultRichMenuId())).status).toBe(404);
    expect((await refused(client.getRichMenuIdOfUser(USER))).status).toBe(404);
    expect((await refused(client.getRichMenuAlias("gone"))).status).toBe(404);
    expect(standIn.richMenuOf(USER)).toBeUndefined();
  });
});
