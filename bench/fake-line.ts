/**
 * A fast fake of the LINE Messaging API for the benchmarks: reply and push answer 200
 * `{"sentMessages":[]}` at once. Each reply's arrival time is recorded by reply token, so the load
 * generator can match it with the send time of the webhook that carried the token.
 *
 * Control routes (not LINE's): GET /__stats, GET /__arrivals, POST /__reset.
 * Times are `performance.timeOrigin + performance.now()`: epoch milliseconds with sub-millisecond
 * resolution, comparable across processes on one machine.
 *
 *   bun bench/fake-line.ts            prints {"port":…} on stdout once it listens
 */
const now = () => performance.timeOrigin + performance.now();

const arrivals = new Map<string, number>();
let replies = 0;
let pushes = 0;
let duplicates = 0;
let other = 0;

const SENT = JSON.stringify({ sentMessages: [] });
const json = (body: string, status = 200) =>
  new Response(body, { status, headers: { "content-type": "application/json" } });

// The reply token is the first field LINE's SDK serialises; a regex beats a full parse of the body.
const TOKEN = /"replyToken"\s*:\s*"([^"]+)"/;

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: Number(process.env.PORT ?? 0),
  async fetch(request) {
    const at = now();
    const { pathname } = new URL(request.url);
    if (pathname === "/v2/bot/message/reply") {
      const token = TOKEN.exec(await request.text())?.[1];
      replies++;
      if (token === undefined) return json('{"message":"no replyToken"}', 400);
      if (arrivals.has(token)) duplicates++;
      else arrivals.set(token, at);
      return json(SENT);
    }
    if (pathname === "/v2/bot/message/push") {
      await request.arrayBuffer();
      pushes++;
      return json(SENT);
    }
    if (pathname === "/__stats") {
      return Response.json({ replies, distinct: arrivals.size, duplicates, pushes, other });
    }
    if (pathname === "/__arrivals") return Response.json(Object.fromEntries(arrivals));
    if (pathname === "/__reset") {
      arrivals.clear();
      replies = pushes = duplicates = other = 0;
      return Response.json({ ok: true });
    }
    // Anything else a plugin might call (profile, loading indicator, bot info): a plausible empty 200.
    other++;
    await request.arrayBuffer();
    if (pathname.startsWith("/v2/bot/profile/") || pathname.includes("/member/")) {
      return Response.json({ userId: pathname.split("/").pop(), displayName: "Bench User" });
    }
    return json("{}");
  },
});

console.log(JSON.stringify({ port: server.port }));
