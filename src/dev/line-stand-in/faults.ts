/** Injected faults: error answers and slow responses for the next N matching requests. */

import type { FaultSpec } from "./types.ts";
import { defaultErrorBody, type Outcome } from "./wire.ts";

interface ActiveFault {
  spec: FaultSpec;
  remaining: number;
}

export interface FaultPlan {
  delayMs: number;
  /** The injected answer; undefined for a delay-only fault. */
  outcome: Outcome | undefined;
}

/** LINE's answer to a push when the channel has used up its messages for the month. */
export const MONTHLY_LIMIT_BODY = { message: "You have reached your monthly limit." };

/** A fault answering the next `times` pushes (and multicasts) as LINE at the monthly limit. */
export function monthlyLimitFault(times = 1): FaultSpec {
  return {
    method: "POST",
    path: /^\/v2\/bot\/message\/(push|multicast|broadcast|narrowcast)$/,
    status: 429,
    body: MONTHLY_LIMIT_BODY,
    times,
  };
}

export class Faults {
  private active: ActiveFault[] = [];

  add(spec: FaultSpec): void {
    const times = spec.times ?? 1;
    if (!(times > 0)) throw new RangeError(`fault times must be positive, got ${times}`);
    this.active.push({ spec, remaining: times });
  }

  clear(): void {
    this.active = [];
  }

  /** Takes one use of the first matching fault, at arrival, so concurrent requests count right. */
  take(method: string, path: string): FaultPlan | undefined {
    const fault = this.active.find((candidate) => matches(candidate.spec, method, path));
    if (fault === undefined) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.active = this.active.filter((candidate) => candidate !== fault);
    return { delayMs: fault.spec.delayMs ?? 0, outcome: outcomeOf(fault.spec) };
  }
}

function matches(spec: FaultSpec, method: string, path: string): boolean {
  if (spec.method !== undefined && spec.method.toUpperCase() !== method) return false;
  if (typeof spec.path === "string") return spec.path === path;
  spec.path.lastIndex = 0; // a /g or /y pattern keeps state between tests
  return spec.path.test(path);
}

function outcomeOf(spec: FaultSpec): Outcome | undefined {
  if (spec.status === undefined) return undefined;
  const headers: Record<string, string> = {};
  if (spec.retryAfterSeconds !== undefined) headers["retry-after"] = String(spec.retryAfterSeconds);
  return { status: spec.status, body: spec.body ?? defaultErrorBody(spec.status), headers };
}
