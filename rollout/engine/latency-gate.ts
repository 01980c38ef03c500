import { ObservationLog } from './observation-log.ts';
import type { ObservationIndex } from './observations.ts';
import type { ObservationVisitor } from './positioned-histories.ts';
import type { LatencyGate } from './policy.ts';
import type { RolloutState } from './state.ts';
import { mannWhitneyGreater } from './stats/mann-whitney.ts';
import { median } from './stats/median.ts';

export interface LatencyComparison {
  check: string;
  patchedSamples: number;
  baselineSamples: number;
  medianPatchedMs: number;
  medianBaselineMs: number;
  u: number;
  z: number;
  p: number;
  regressed: boolean;
}

export interface LatencyVerdict {
  /** The gate's alpha shared among the checks compared (Bonferroni), so more checks do not mean more false alarms. */
  alphaPerCheck: number;
  compared: LatencyComparison[];
  /** Checks with too few samples on one side to be judged. */
  tooFewSamples: { check: string; patchedSamples: number; baselineSamples: number }[];
  regressed: boolean;
}

/**
 * Automated canary analysis on check latency, check by check: patched samples against unpatched
 * ones by a one-sided Mann-Whitney U test. A check regresses only when the shift is both
 * significant and large enough to matter, so a thousand samples cannot fail a ring over 1 ms.
 */
export function compareLatency(
  patched: ReadonlyMap<string, readonly number[]>,
  baseline: ReadonlyMap<string, readonly number[]>,
  gate: LatencyGate,
): LatencyVerdict {
  const checks = [...new Set([...patched.keys(), ...baseline.keys()])].sort();
  const sized = checks.map((check) => ({ check, x: patched.get(check) ?? [], y: baseline.get(check) ?? [] }));
  const judged = sized.filter(({ x, y }) => x.length >= gate.minSamples && y.length >= gate.minSamples);
  const alphaPerCheck = gate.alpha / Math.max(judged.length, 1);
  const compared = judged.map(({ check, x, y }): LatencyComparison => {
    const { u, z, p } = mannWhitneyGreater(x, y);
    const medianPatchedMs = median(x);
    const medianBaselineMs = median(y);
    const largeEnough = medianPatchedMs > medianBaselineMs && medianPatchedMs >= medianBaselineMs * (1 + gate.minEffectRatio);
    const regressed = p < alphaPerCheck && largeEnough;
    return { check, patchedSamples: x.length, baselineSamples: y.length, medianPatchedMs, medianBaselineMs, u, z, p, regressed };
  });
  return {
    alphaPerCheck,
    compared,
    tooFewSamples: sized
      .filter((s) => !judged.includes(s))
      .map(({ check, x, y }) => ({ check, patchedSamples: x.length, baselineSamples: y.length })),
    regressed: compared.some((c) => c.regressed),
  };
}

/**
 * Whether a verdict that could not judge every check might judge them with more samples: the
 * patched side grows as the ring's hosts keep checking, the baseline only while some host is
 * still waiting for the patch.
 */
export function mayJudgeLater(verdict: LatencyVerdict, gate: LatencyGate, baselineCanGrow: boolean): boolean {
  return baselineCanGrow || verdict.tooFewSamples.some((c) => c.baselineSamples >= gate.minSamples);
}

/**
 * Patched samples: the ring's healthy hosts since their patch. Baseline: every host still on
 * its old version since the ring started, so both sides saw the same load at the same time.
 */
export function ringLatency(state: RolloutState, ring: number, history: ObservationIndex, gate: LatencyGate): LatencyVerdict {
  const target = state.patch.version;
  const ringStart = state.rings[ring]?.startedAt ?? Number.POSITIVE_INFINITY;
  let patchedSince: Map<string, number> | null = null;
  // When the patched samples of a host start, or undefined when it gives none: found at the
  // position the log kept the host at, or else by id.
  const sinceOf = (hostId: string, position: number): number | undefined => {
    const host = position >= 0 ? state.hosts[position] : undefined;
    if (host?.id === hostId) return host.ring === ring && host.phase === 'healthy' ? (host.patchedAt ?? Number.POSITIVE_INFINITY) : undefined;
    patchedSince ??= new Map(
      state.hosts.filter((h) => h.ring === ring && h.phase === 'healthy').map((h) => [h.id, h.patchedAt ?? Number.POSITIVE_INFINITY]),
    );
    return patchedSince.get(hostId);
  };
  const patched = new Map<string, number[]>();
  const baseline = new Map<string, number[]>();
  const visit: ObservationVisitor = (hostId, position, at, version, checks) => {
    const isBaseline = version !== target && at >= ringStart;
    const since = isBaseline || version !== target ? undefined : sinceOf(hostId, position);
    const isPatched = since !== undefined && at >= since;
    const side = isBaseline ? baseline : isPatched ? patched : null;
    if (!side) return;
    for (const check of checks) {
      const latency = check.metrics?.latencyMs;
      if (check.status === 'skip' || latency === undefined || !Number.isFinite(latency)) continue;
      const samples = side.get(check.id);
      if (samples) samples.push(latency);
      else side.set(check.id, [latency]);
    }
  };
  if (history instanceof ObservationLog) history.visit(visit);
  else for (const [hostId, observations] of history) for (const o of observations) visit(hostId, -1, o.at, o.version, o.checks);
  return compareLatency(patched, baseline, gate);
}
