import type { CheckStatus, Observation, ObservedCheck } from '../engine/observations.ts';
import { logNormal, unitAt } from './random.ts';

/** The one check every simulated host runs; the engine compares its latency across hosts. */
export const CHECK_ID = 'simulated:healthz';

/* Purposes of the draws keyed by (seed, host, round, purpose). */
const LATENCY_A = 1;
const LATENCY_B = 2;
const RESULT = 3;
const SKIP = 4;

export function checkLatency(seed: number, host: number, round: number, medianMs: number, spread: number, addMs: number): number {
  return logNormal(medianMs, spread, unitAt(seed, host, round, LATENCY_A), unitAt(seed, host, round, LATENCY_B)) + addMs;
}

/** Whether the check run of this round fails, when each run fails with probability p. */
export function runFails(seed: number, host: number, round: number, p: number): boolean {
  return p > 0 && unitAt(seed, host, round, RESULT) < p;
}

/** The draw that decides how many uneventful rounds follow a passing run. */
export function skipDraw(seed: number, host: number, round: number): number {
  return unitAt(seed, host, round, SKIP);
}

/**
 * Observations as the engine reads them. Check lists are shared between observations with the
 * same status and latency (to a tenth of a millisecond), so a hundred thousand hosts checked
 * cost a hundred thousand small objects, not four hundred thousand.
 */
export class ObservationFactory {
  private readonly checks = new Map<number, readonly ObservedCheck[]>();

  observation(hostId: string, at: number, version: string, status: CheckStatus, latencyMs: number): Observation {
    const tenths = Math.max(0, Math.round(latencyMs * 10));
    const key = status === 'pass' ? tenths : -1 - tenths;
    let checks = this.checks.get(key);
    if (!checks) {
      checks = [{ id: CHECK_ID, status, metrics: { latencyMs: tenths / 10 } }];
      this.checks.set(key, checks);
    }
    return { hostId, at, version, checks };
  }
}
