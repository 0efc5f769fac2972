import type postgres from "postgres";
import type { Logger } from "../../logging/logger.ts";
import type { Sql } from "./connection.ts";
import { renewScheduleLeases, requeueSchedules, scheduleOwners } from "./schedules.ts";

export const WORK_CHANNEL = "hotline_work";

export interface InstanceOptions {
  sql: Sql;
  log: Logger;
  now(): number;
  /** How long a claim holds without renewal; the owner renews it at a quarter of this. */
  leaseMs: number;
  /** How often to look for dead instances and expired leases. */
  sweepMs: number;
  /** Attempts after which a delivery interrupted again and again is dead-lettered. */
  maxAttempts: number;
  /** Another instance (or this one) made work claimable. */
  onWork(): void;
}

/**
 * This process as one of the instances sharing the database. It holds a session advisory lock
 * for as long as it lives: PostgreSQL releases it when the connection dies (kill -9, a crash, a
 * lost VM), so the others see the death at their next sweep, without waiting for leases. Leases
 * remain the fence for an instance that is alive but stuck.
 */
export class Instance {
  readonly id = crypto.randomUUID();
  readonly #lockKey = randomLockKey();
  readonly #o: InstanceOptions;
  #session: postgres.ReservedSql | undefined;
  #plugins: string[] = [];
  #timers: Array<ReturnType<typeof setInterval>> = [];
  #unlisten: (() => Promise<void>) | undefined;
  /** The sweep under way. */
  #sweeping: Promise<void> | undefined;

  constructor(options: InstanceOptions) {
    this.#o = options;
  }

  async join(): Promise<void> {
    const { sql, now } = this.#o;
    this.#session = await sql.reserve();
    await this.#session`select pg_advisory_lock(${this.#lockKey}::bigint)`;
    await sql`
      insert into instances (id, lock_key, started_at, seen_at, plugins)
      values (${this.id}, ${this.#lockKey}, ${now()}, ${now()}, ${sql.json([])})`;
    const listening = await sql.listen(WORK_CHANNEL, () => this.#o.onWork());
    this.#unlisten = () => listening.unlisten();
    const renewEvery = Math.max(50, Math.floor(this.#o.leaseMs / 4));
    this.#timers.push(setInterval(() => void this.#heartbeat(), renewEvery));
    this.#timers.push(
      setInterval(() => {
        if (!this.#sweeping) void this.sweep();
      }, this.#o.sweepMs),
    );
    // The poll behind LISTEN: a notification lost with a connection costs at most this long.
    this.#timers.push(setInterval(() => this.#o.onWork(), Math.max(this.#o.sweepMs, 1000)));
    for (const timer of this.#timers) (timer as { unref?: () => void }).unref?.();
    // The id other instances name when they take this one's deliveries over.
    this.#o.log.info({ instance: this.id }, "joined the instances sharing the database");
  }

  /** The plugins loaded here: a plugin removed here may still be loaded elsewhere. */
  setPlugins(plugins: ReadonlySet<string>): void {
    const names = [...plugins].sort();
    if (names.join("\u0000") === this.#plugins.join("\u0000")) return;
    this.#plugins = names;
    void this.#heartbeat();
  }

  /**
   * Takes over the deliveries of instances that died (their lock is free) and of leases that
   * ran out (an instance alive but stuck): each such run counts as an attempt, so an event that
   * kills every instance that runs it ends dead-lettered instead of taking the fleet down.
   */
  async sweep(): Promise<void> {
    // After the sweep under way, not instead of it: that one may have read the time before the
    // caller's, and a caller's sweep must see the leases that ran out by then.
    while (this.#sweeping) await this.#sweeping;
    if (!this.#session) return;
    this.#sweeping = this.#sweepOnce().finally(() => {
      this.#sweeping = undefined;
    });
    await this.#sweeping;
  }

  async #sweepOnce(): Promise<void> {
    try {
      const { sql, now } = this.#o;
      const owners = await sql<Array<{ owner: string; lockKey: number | null }>>`
        select o.owner, i.lock_key as "lockKey"
        from (
          select distinct owner from deliveries where status = 'running' and owner <> ${this.id}
          union select * from unnest(${await scheduleOwners(sql, this.id)}::text[])
        ) o left join instances i on i.id = o.owner`;
      for (const { owner, lockKey } of owners) {
        if (lockKey !== null && !(await this.#isDead(lockKey))) continue;
        await this.#requeue(sql`owner = ${owner}`, `instance ${owner} stopped during the delivery`);
        await sql`delete from instances where id = ${owner}`;
      }
      await this.#requeue(
        sql`lease_until < ${now()}`,
        "the delivery's lease ran out (its instance did not renew it)",
      );
    } catch (error) {
      this.#o.log.error({ err: error }, "sweeping for dead instances failed; trying again");
    }
  }

  stopTimers(): void {
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
  }

  /** Stops renewing and sweeping, and lets go of the lock. */
  async leave(): Promise<void> {
    this.stopTimers();
    await this.#unlisten?.().catch(() => undefined);
    const session = this.#session;
    this.#session = undefined;
    if (!session) return;
    await this.#o.sql`delete from instances where id = ${this.id}`.catch(() => undefined);
    await session`select pg_advisory_unlock(${this.#lockKey}::bigint)`.catch(() => undefined);
    session.release();
  }

  /** A lock nobody holds means its instance's connection is gone. */
  async #isDead(lockKey: number): Promise<boolean> {
    const session = this.#session;
    if (!session) return false;
    const [row] = await session<Array<{ got: boolean }>>`
      select pg_try_advisory_lock(${lockKey}::bigint) as got`;
    if (row?.got) await session`select pg_advisory_unlock(${lockKey}::bigint)`;
    return row?.got === true;
  }

  async #requeue(which: postgres.PendingQuery<postgres.Row[]>, reason: string): Promise<void> {
    const { sql, now, maxAttempts } = this.#o;
    const taken = await sql`
      update deliveries set
        status = case when attempts + 1 >= ${maxAttempts} then 'dead' else 'retry' end,
        attempts = attempts + 1,
        next_attempt_at = ${now()},
        owner = null,
        lease_until = null,
        last_error = ${reason},
        updated_at = ${now()}
      where status = 'running' and ${which}
      returning event_id`;
    const runs = await requeueSchedules(sql, which, { reason, now: now(), maxAttempts });
    if (taken.length + runs === 0) return;
    this.#o.log.warn(
      { deliveries: taken.length, scheduleRuns: runs, reason },
      "took over interrupted deliveries and schedule runs",
    );
    await sql`select pg_notify(${WORK_CHANNEL}, '')`;
  }

  async #heartbeat(): Promise<void> {
    const { sql, now, leaseMs, log } = this.#o;
    try {
      await sql`
        update instances set seen_at = ${now()}, plugins = ${sql.json(this.#plugins)}
        where id = ${this.id}`;
      await sql`
        update deliveries set lease_until = ${now() + leaseMs}
        where owner = ${this.id} and status = 'running'`;
      await renewScheduleLeases(sql, this.id, now() + leaseMs);
    } catch (error) {
      log.error({ err: error }, "renewing this instance's leases failed; trying again");
    }
  }
}

/** A positive 52-bit integer: exact as a JavaScript number, and as a PostgreSQL bigint. */
function randomLockKey(): number {
  const [high = 0, low = 0] = crypto.getRandomValues(new Uint32Array(2));
  return (high & 0xfffff) * 2 ** 32 + low + 1;
}
