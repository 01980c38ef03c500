import type { HostFailureReport } from './decision.ts';
import { formatDuration } from './format.ts';
import { failingChecks, type Observation, type ObservedCheck } from './observations.ts';
import type { RolloutPolicy } from './policy.ts';
import type { HostState, RingState } from './state.ts';

/**
 * How one patched host is doing. A failed check run is only a suspicion until it is confirmed:
 * by a failing re-check, or by no re-check arriving in time. A failure cleared by a passing
 * re-check is a flap, which does not count against the budget, so one flaky host cannot roll
 * back the fleet; a host that flaps more than the policy allows counts as failed all the same.
 */
export type HostVerdict =
  | { kind: 'passing' }
  | { kind: 'flaky'; flaps: number }
  | { kind: 'unobserved'; since: number }
  | { kind: 'suspect'; since: number; reason: string }
  | { kind: 'failed'; reason: string };

/** The verdict of most hosts, one object for all of them: nobody edits a verdict. */
export const PASSING: HostVerdict = Object.freeze({ kind: 'passing' });

const NO_TAKE_OVERS: readonly number[] = Object.freeze([]);

/**
 * When a timeout started at `from` began to run as seen at `at`: not before the latest take-over
 * up to then, as no driver was checking before it. `takeOvers` is oldest first.
 */
export function timeoutStart(from: number, at: number, takeOvers: readonly number[]): number {
  for (let k = takeOvers.length - 1; k >= 0; k--) {
    const t = takeOvers[k]!;
    if (t <= at) return Math.max(from, t);
  }
  return from;
}

/**
 * `takeOvers` (the state's, oldest first) are when drivers began driving after another stopped:
 * a check timeout runs only from the latest one before its end, as nobody checked in between.
 * Without take-overs, or with all of them before the patch, the verdict is the same as without.
 */
export function judgeHost(
  host: HostState,
  history: readonly Observation[],
  target: string,
  now: number,
  policy: RolloutPolicy,
  takeOvers: readonly number[] = NO_TAKE_OVERS,
): HostVerdict {
  if (host.failure) return { kind: 'failed', reason: host.failure.reason };
  const since = host.patchedAt ?? now;
  if (everyRunPassed(history, target, since)) return PASSING;
  const timeout = policy.checkTimeoutMs;
  const runs = history.flatMap((o) => {
    const failing = o.version === target && o.at >= since ? failingChecks(o) : null;
    return failing ? [{ at: o.at, failing }] : [];
  });
  if (runs.length === 0) {
    const start = timeoutStart(since, now, takeOvers);
    const from = start === since ? 'since it was patched' : 'since its driver took over';
    return now - start >= timeout
      ? { kind: 'failed', reason: `no check result in ${formatDuration(timeout)} ${from}` }
      : { kind: 'unobserved', since: start };
  }

  let flaps = 0;
  for (const [i, run] of runs.entries()) {
    if (run.failing.length === 0) continue;
    const what = `failed ${run.failing.join(', ')}`;
    const recheck = runs[i + 1];
    const notRechecked = { kind: 'failed' as const, reason: `${what} and was not re-checked within ${formatDuration(timeout)}` };
    if (!recheck) {
      const start = timeoutStart(run.at, now, takeOvers);
      return now - start >= timeout ? notRechecked : { kind: 'suspect', since: start, reason: what };
    }
    if (recheck.at - timeoutStart(run.at, recheck.at, takeOvers) > timeout) return notRechecked;
    if (recheck.failing.length > 0) return { kind: 'failed', reason: `${what}, and again on re-check` };
    flaps++;
  }
  if (flaps > policy.maxFlaps) return { kind: 'failed', reason: `flapped ${flaps} times, more than the ${policy.maxFlaps} tolerated` };
  return flaps > 0 ? { kind: 'flaky', flaps } : PASSING;
}

/**
 * The verdict of most hosts most of the time, found without building the list of runs: there
 * was at least one run since the patch and none failed. A run is an observation of the target
 * with a check that was not skipped; it fails when one of those did not pass.
 */
function everyRunPassed(history: readonly Observation[], target: string, since: number): boolean {
  let runs = 0;
  for (const observation of history) {
    const run = runOf(observation.version, observation.at, observation.checks, target, since);
    if (run === FAILED_RUN) return false;
    runs += run;
  }
  return runs > 0;
}

export const NO_RUN = 0;
export const PASSED_RUN = 1;
export const FAILED_RUN = -1;

/** What one observation, in its parts, is to a host's verdict: no run, a run that passed, or one that failed. */
export function runOf(version: string, at: number, checks: readonly ObservedCheck[], target: string, since: number): number {
  if (version !== target || at < since) return NO_RUN;
  let judged = false;
  for (const check of checks) {
    if (check.status === 'skip') continue;
    if (check.status !== 'pass') return FAILED_RUN;
    judged = true;
  }
  return judged ? PASSED_RUN : NO_RUN;
}

export interface RingHealth {
  ring: number;
  name: string;
  size: number;
  /** Hosts whose patch has finished, well or badly: the ones health is judged on. */
  patched: number;
  /** Flaky hosts included. */
  passing: number;
  flaky: string[];
  unobserved: string[];
  suspect: HostFailureReport[];
  /** Accepted failures stay here: they no longer stop the rollout but still spend the budget. */
  failed: (HostFailureReport & { accepted: boolean })[];
  budget: number;
  breached: boolean;
  /** Share of patched hosts not failed; null before any host is patched. */
  passRate: number | null;
}

export function emptyRingHealth(spec: RingState, ring: number): RingHealth {
  return {
    ring,
    name: spec.name,
    size: spec.hostIds.length,
    patched: 0,
    passing: 0,
    flaky: [],
    unobserved: [],
    suspect: [],
    failed: [],
    budget: spec.failureBudget,
    breached: false,
    passRate: null,
  };
}

/** Counts one patched host's verdict; hosts come in ring order, which is the order the lists show. */
export function countVerdict(health: RingHealth, host: HostState, verdict: HostVerdict): void {
  health.patched++;
  if (verdict.kind === 'passing') health.passing++;
  else if (verdict.kind === 'flaky') {
    health.passing++;
    health.flaky.push(host.id);
  } else if (verdict.kind === 'unobserved') health.unobserved.push(host.id);
  else if (verdict.kind === 'suspect') health.suspect.push({ hostId: host.id, reason: verdict.reason });
  else health.failed.push({ hostId: host.id, reason: verdict.reason, accepted: host.failure?.acceptedBy != null });
}

export function finishRingHealth(health: RingHealth): RingHealth {
  health.breached = health.failed.length > health.budget;
  health.passRate = health.patched === 0 ? null : (health.patched - health.failed.length) / health.patched;
  return health;
}
