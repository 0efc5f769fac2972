/**
 * Who may use the simulator. Its routes sign events into the bot, so a page elsewhere must not
 * drive them (cross-site requests: a foreign Origin, or `Sec-Fetch-Site: cross-site`), and a
 * foreign name resolving to loopback must not read them (DNS rebinding: a foreign Host).
 */
const LOOPBACK = ["127.0.0.1", "localhost", "[::1]"];

export class RequestGuard {
  readonly #hosts = new Set<string>();

  /** The bot is reachable at this URL (host and port): it may be named so. */
  allow(url: string): void {
    const { hostname, port, host } = new URL(url);
    this.#hosts.add(host.toLowerCase());
    if (LOOPBACK.includes(hostname)) {
      for (const name of LOOPBACK) this.#hosts.add(port ? `${name}:${port}` : name);
    }
  }

  /** A 403 for a request the simulator must not serve; undefined for one it may. */
  refuse(request: Request): Response | undefined {
    const host = request.headers.get("host")?.toLowerCase();
    if (!host || !this.#hosts.has(host))
      return forbidden("the simulator answers only at the bot's own address (Host)");
    if (request.headers.get("sec-fetch-site") === "cross-site")
      return forbidden("the simulator takes no cross-site requests");
    const origin = request.headers.get("origin");
    if (origin !== null && !this.#sameSite(origin))
      return forbidden("the simulator takes requests only from its own page (Origin)");
    return undefined;
  }

  #sameSite(origin: string): boolean {
    try {
      return this.#hosts.has(new URL(origin).host.toLowerCase());
    } catch {
      return false;
    }
  }
}

function forbidden(error: string): Response {
  return Response.json({ error }, { status: 403, headers: { "cache-control": "no-store" } });
}
