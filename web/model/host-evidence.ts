import { failingChecks, type CheckStatus, type Observation } from '../../rollout/engine/observations.ts';
import type { HostState } from '../../rollout/engine/state.ts';

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

export interface HostEvidence {
  at: number;
  version: string;
  checks: FailedCheck[];
}

/**
 * The host's latest failing check run on the new version: shown for a host that failed, and for
 * one whose latest run failed (a suspect waiting for its re-check). A host that failed once and
 * passed since has nothing to explain. Null when there is no such run (a patch that did not
 * install fails without one; its failure's reason says why).
 */
export function hostEvidence(host: HostState, history: readonly Observation[], target: string): HostEvidence | null {
  // From the newest run back: a page asks on every poll, and a host's history grows by one run a check round.
  const since = host.patchedAt ?? Number.NEGATIVE_INFINITY;
  let lastFailing: Observation | undefined;
  for (let i = history.length - 1; i >= 0 && !lastFailing; i--) {
    const o = history[i]!;
    if (o.version !== target || o.at < since) continue;
    const failing = failingChecks(o);
    if (failing === null) continue;
    if (failing.length > 0) lastFailing = o;
    // The newest judged run passed: only a failed host still has an older failure to explain.
    else if (host.failure === null) return null;
  }
  if (!lastFailing) return null;
  const checks = lastFailing.checks
    .filter((c) => c.status === 'fail' || c.status === 'error')
    .map((c): FailedCheck => ({ id: c.id, status: c.status, ...splitMessage(c.message ?? ''), output: c.output ?? null }));
  return { at: lastFailing.at, version: lastFailing.version, checks };
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
