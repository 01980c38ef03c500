import type { CheckResult } from '../checks/types.ts';

/**
 * How one check fared on the unpatched twin against the patched host. Only "broken-by-patch"
 * blames the patch; "already-broken" is the image's own problem and says so.
 */
export type Comparison = 'ok' | 'broken-by-patch' | 'already-broken' | 'fixed-by-patch' | 'check-error' | 'skipped';

export interface ComparedCheck {
  id: string;
  name: string;
  /** The host of the set the check ran on, in a run of several hosts (web, db). */
  host?: string;
  kind: CheckResult['kind'];
  comparison: Comparison;
  baseline?: CheckResult;
  patched?: CheckResult;
  afterRollback?: CheckResult;
}

type HostResult = CheckResult & { host?: string };

/** Pairs results by check id and judges each pair. Pure. */
export function compareChecks(
  baseline: readonly HostResult[],
  patched: readonly HostResult[],
  afterRollback: readonly HostResult[] = [],
): ComparedCheck[] {
  const byId = (results: readonly HostResult[]) => new Map(results.map((r) => [r.id, r]));
  const b = byId(baseline);
  const p = byId(patched);
  const r = byId(afterRollback);
  const ids = [...new Set([...b.keys(), ...p.keys()])];
  return ids.map((id) => {
    const before = b.get(id);
    const after = p.get(id);
    const any = (before ?? after) as HostResult;
    return {
      id,
      name: any.name,
      ...(any.host ? { host: any.host } : {}),
      kind: any.kind,
      comparison: judge(before?.status, after?.status),
      ...(before ? { baseline: before } : {}),
      ...(after ? { patched: after } : {}),
      ...(r.get(id) ? { afterRollback: r.get(id) } : {}),
    };
  });
}

function judge(before: CheckResult['status'] | undefined, after: CheckResult['status'] | undefined): Comparison {
  if (before === 'skip' || after === 'skip') return 'skipped';
  // A check that cannot even run on the untouched twin tells nothing about the patch.
  if (before === undefined || before === 'error') return 'check-error';
  if (after === undefined) return 'check-error';
  if (before === 'pass') return after === 'pass' ? 'ok' : 'broken-by-patch';
  return after === 'pass' ? 'fixed-by-patch' : 'already-broken';
}

export type Verdict = 'pass' | 'fail' | 'error';

export interface VerdictInputs {
  checks: readonly ComparedCheck[];
  install?: { ok: boolean; failedPackages: string[]; output: string };
  rollback?: { restored: boolean; remaining: string[] };
  /** A lab failure (not the patch's fault): image, Docker, mirror. */
  labError?: string;
  /** Why a reboot of the patched host went wrong (did not come back, wrong kernel). */
  reboots?: readonly string[];
}

export interface VerdictOutcome {
  verdict: Verdict;
  /** One line per reason, the first the one to read. */
  reasons: string[];
}

/** The run's verdict with its reasons. Pure. */
export function decideVerdict(inputs: VerdictInputs): VerdictOutcome {
  if (inputs.labError) return { verdict: 'error', reasons: [inputs.labError] };
  const reasons: string[] = [];
  if (inputs.install && !inputs.install.ok) {
    const which = inputs.install.failedPackages.join(', ') || 'the patch';
    reasons.push(`installing ${which} failed: ${lastLine(inputs.install.output)}`);
  }
  reasons.push(...(inputs.reboots ?? []));
  if ((inputs.reboots ?? []).length > 0 && inputs.checks.every((c) => !c.patched)) return { verdict: 'fail', reasons };
  for (const c of inputs.checks.filter((c) => c.comparison === 'broken-by-patch')) {
    reasons.push(`check ${c.name} broken by the patch: ${c.patched?.message || c.patched?.status}`);
  }
  if (inputs.rollback && !inputs.rollback.restored) {
    reasons.push(`rollback did not restore ${inputs.rollback.remaining.join(', ')}`);
  }
  for (const c of inputs.checks) {
    if (c.baseline?.status === 'pass' && c.afterRollback && c.afterRollback.status !== 'pass') {
      reasons.push(`check ${c.name} still fails after rollback: ${c.afterRollback.message}`);
    }
  }
  if (reasons.length > 0) return { verdict: 'fail', reasons };
  const errored = inputs.checks.filter((c) => c.comparison === 'check-error');
  if (errored.length > 0) {
    return {
      verdict: 'error',
      reasons: errored.map((c) => `check ${c.name} could not judge the unpatched twin: ${(c.baseline ?? c.patched)?.message ?? 'no result'}`),
    };
  }
  const already = inputs.checks.filter((c) => c.comparison === 'already-broken');
  return {
    verdict: 'pass',
    reasons: [
      `${inputs.checks.filter((c) => c.comparison === 'ok').length} check(s) pass on the patched host as on its unpatched twin`,
      ...already.map((c) => `check ${c.name} was already broken before the patch`),
    ],
  };
}

export function exitCodeOf(verdict: Verdict): number {
  return verdict === 'pass' ? 0 : verdict === 'fail' ? 1 : 2;
}

function lastLine(text: string): string {
  return text.trim().split('\n').filter(Boolean).slice(-3).join(' / ') || 'no output';
}
