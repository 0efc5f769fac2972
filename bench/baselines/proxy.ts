/**
 * A round-robin HTTP proxy on loopback, for two hotline instances behind one address (the load
 * balancer in front of a PostgreSQL deployment). Prints `{"port": n}` once it listens.
 *   UPSTREAMS=http://127.0.0.1:a,http://127.0.0.1:b bun bench/baselines/proxy.ts
 */
const upstreams = (process.env.UPSTREAMS ?? "").split(",").filter(Boolean);
if (upstreams.length === 0) throw new Error("UPSTREAMS is empty");
let next = 0;
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(request) {
    const upstream = upstreams[next++ % upstreams.length] as string;
    const url = new URL(request.url);
    return fetch(`${upstream}${url.pathname}${url.search}`, {
      method: request.method,
      headers: request.headers,
      body: request.body,
    });
  },
});
console.log(JSON.stringify({ port: server.port }));
