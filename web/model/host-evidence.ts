import { failingChecks, type CheckStatus, type Observation } from '../../rollout/engine/observations.ts';
import type { HostFailure, HostState } from '../../rollout/engine/state.ts';

/*
 * Why a host failed, from the check results stored with the rollout: each check that did not
 * pass with what it expected, what it got and an excerpt of what it saw. Pure.
 */

export interface Expectation {
  attribute: string;
  expected: string;
  got: string;
}

export interface FailedCheck {
  id: string;
  status: CheckStatus;
  /** The message's "attribute: expected X, got Y" parts. */
  expectations: Expectation[];
  /** Parts of the message that do not read that way ("could not be judged: timed out"). */
  notes: string[];
  output: string | null;
}

/** A failing check run: when, on which version, and each check that did not pass. */
export interface EvidenceRun {
  at: number;
  version: string;
  checks: FailedCheck[];
}

export interface HostEvidence extends EvidenceRun {
  /** The host's newest failing run, when it is not the run above (the one its failure's reason names) and failed otherwise. */
  newest: EvidenceRun | null;
}

/**
 * Why the host failed, or is suspect: for a failed host the run its failure's reason names ("failed
 * a, b, and again on re-check" names the run that failed a and b, which its re-check confirmed),
 * with its newest failing run beside it when that failed otherwise (other checks, other
 * expectations or output); otherwise the latest failing run on
 * the new version (a suspect waiting for its re-check, or a failure whose reason names no run). A
 * host that failed once and passed since has nothing to explain. Null when there is no failing run
 * (a patch that did not install fails without one; its failure's reason says why).
 */
export function hostEvidence(host: HostState, history: readonly Observation[], target: string): HostEvidence | null {
  const since = host.patchedAt ?? Number.NEGATIVE_INFINITY;
  const newest = newestFailingRun(host, history, target, since);
  if (!newest) return null;
  const named = host.failure ? namedRun(host.failure, history, target, since) : undefined;
  if (!named || named === newest) return { ...evidenceRun(newest), newest: null };
  const [shown, latest] = [evidenceRun(named), evidenceRun(newest)];
  // A re-check that failed the same way (usually the newest run) would only repeat the evidence.
  return { ...shown, newest: JSON.stringify(latest.checks) === JSON.stringify(shown.checks) ? null : latest };
}

/** The latest failing run on the target since the patch, when it still needs explaining: always for a failed host, else only while it is the newest run. */
function newestFailingRun(host: HostState, history: readonly Observation[], target: string, since: number): Observation | undefined {
  // From the newest run back: a host's history grows by one run a check round.
  for (let i = history.length - 1; i >= 0; i--) {
    const o = history[i]!;
    if (o.version !== target || o.at < since) continue;
    const failing = failingChecks(o);
    if (failing === null) continue;
    if (failing.length > 0) return o;
    // The newest judged run passed: only a failed host still has an older failure to explain.
    if (host.failure === null) return undefined;
  }
  return undefined;
}

/** The engine's reasons for a failure judged from check runs (rollout/engine/host-verdict.ts): the run's failing checks, and how it was confirmed. */
const NAMING_REASON = /^failed (.+?)(, and again on re-check| and was not re-checked within .+)?$/s;

/**
 * The run a failure's reason names: by its failing checks, at or before the failure; the newest
 * such run, and for "again on re-check" the newest one whose next run failed too (that next run,
 * the re-check, may have failed other checks). Undefined when the reason names no run.
 */
function namedRun(failure: HostFailure, history: readonly Observation[], target: string, since: number): Observation | undefined {
  const [, named, confirmed] = NAMING_REASON.exec(failure.reason) ?? [];
  if (named === undefined) return undefined;
  const recheckFailed = confirmed?.startsWith(', and again') ?? false;
  let next: string[] | null = null;
  for (let i = history.length - 1; i >= 0; i--) {
    const o = history[i]!;
    if (o.version !== target || o.at < since || o.at > failure.at) continue;
    const failing = failingChecks(o);
    if (failing === null) continue;
    if (failing.length > 0 && failing.join(', ') === named && (!recheckFailed || (next !== null && next.length > 0))) return o;
    next = failing;
  }
  return undefined;
}

function evidenceRun(run: Observation): EvidenceRun {
  const checks = run.checks
    .filter((c) => c.status === 'fail' || c.status === 'error')
    .map((c): FailedCheck => ({ id: c.id, status: c.status, ...splitMessage(c.message ?? ''), output: c.output ?? null }));
  return { at: run.at, version: run.version, checks };
}

const EXPECTATION = /^([\w.-]+(?:\[\d+\])?): expected (.+?), got ([\s\S]*)$/;

/** The lab joins a check's problems with "; ", each "attribute: expected X, got Y" where it can. */
export function splitMessage(message: string): Pick<FailedCheck, 'expectations' | 'notes'> {
  const expectations: Expectation[] = [];
  const notes: string[] = [];
  for (const part of message.split('; ').map((p) => p.trim()).filter(Boolean)) {
    const found = EXPECTATION.exec(part);
    if (found) expectations.push({ attribute: found[1]!, expected: found[2]!, got: found[3]! });
    else notes.push(part);
  }
  return { expectations, notes };
}
