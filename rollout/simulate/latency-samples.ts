import type { RolloutState } from '../engine/state.ts';
import { checkLatency } from './check-results.ts';
import { BASE_VERSION, TARGET_VERSION } from './fleet-hosts.ts';
import type { RunContext } from './run-context.ts';
import { SIMULATION_START } from './simulation-input.ts';

/** What the latency samples are drawn from: the run's hosts as the simulator knows them. */
export interface SampleSource {
  state: RolloutState;
  ring: number;
  now: number;
  startedAt: number;
  intervalMs: number;
  seed: number;
  /** Where a drawn sample goes, as a passing check run of the host at a position. */
  add: (position: number, at: number, version: string, latencyMs: number) => void;
  // Per host by position in the rollout's host list, as the run keeps them.
  /** 1 where the host runs the patch. */
  onPatch: Uint8Array;
  /** The fleet index of the host at each position: its draws are keyed by index. */
  indexAt: Int32Array;
  /** The latest round each host has an observation for; -1 when none. */
  lastObservedRound: Float64Array;
  offline: Uint8Array;
  reportDelayMs: Float64Array;
  latencyAddMs: Float32Array;
  checkLatencyMs: number;
  latencySpread: number;
  /** Samples each side gets at most. */
  budget: number;
}

/** The run's side of a draw of samples for the current ring, going to `add`. */
export function sampleSource(run: RunContext, lastObservedRound: Float64Array, state: RolloutState, now: number, add: SampleSource['add']): SampleSource {
  const { settings, faults } = run;
  return {
    state,
    ring: state.ring,
    now,
    startedAt: SIMULATION_START,
    intervalMs: run.intervalMs,
    seed: run.seed,
    add,
    onPatch: run.hosts.onPatch,
    indexAt: run.hosts.indexAt,
    lastObservedRound,
    offline: faults.offline,
    reportDelayMs: faults.reportDelayMs,
    latencyAddMs: faults.latencyAddMs,
    checkLatencyMs: settings.checkLatencyMs,
    latencySpread: settings.latencySpread,
    budget: settings.latencySampleBudget,
  };
}

/**
 * Before a ring's latency gate is judged, the check results it would have had: the latest rounds
 * of the ring's healthy patched hosts, and of the hosts still waiting for the patch since the
 * ring started. The simulator otherwise keeps only the check runs that can change a verdict, and
 * every run it skipped passed, so these are passing results drawn at rounds after each host's
 * last kept one and already reported; the engine's Mann-Whitney test does the rest.
 */
export function addLatencySamples(source: SampleSource): { patched: number; baseline: number } {
  const { state, ring } = source;
  const ringStart = state.rings[ring]?.startedAt ?? source.now;
  // Positions only, and each host's patch time read again when sampled: a million pending hosts
  // as objects would be garbage by the time the samples are drawn.
  const patched: number[] = [];
  const baseline: number[] = [];
  state.hosts.forEach((host, p) => {
    if (host.ring === ring && host.phase === 'healthy' && host.patchedAt !== null && source.onPatch[p] === 1) patched.push(p);
    else if (host.phase === 'pending' && source.onPatch[p] === 0 && source.offline[p] === 0) baseline.push(p);
  });
  return drawLatencySamples(source, patched, baseline, (p) => state.hosts[p]!.patchedAt!, ringStart);
}

/** The samples of the chosen hosts (positions, ascending): patched ones since their patch, baseline ones since the ring started. */
export function drawLatencySamples(
  source: SampleSource,
  patched: readonly number[],
  baseline: readonly number[],
  patchedSince: (p: number) => number,
  ringStart: number,
): { patched: number; baseline: number } {
  return {
    patched: sample(source, patched, TARGET_VERSION, patchedSince),
    baseline: sample(source, baseline, BASE_VERSION, () => ringStart),
  };
}

function sample(source: SampleSource, hosts: readonly number[], version: string, since: (p: number) => number): number {
  if (hosts.length === 0) return 0;
  const stride = Math.max(1, Math.ceil(hosts.length / source.budget));
  const perHost = Math.max(1, Math.ceil(source.budget / hosts.length));
  let added = 0;
  for (let k = 0; k < hosts.length; k += stride) {
    const host = hosts[k]!;
    const i = source.indexAt[host]!;
    const reported = Math.floor((source.now - (source.reportDelayMs[host] ?? 0) - source.startedAt) / source.intervalMs);
    const first = Math.max(Math.ceil((since(host) - source.startedAt) / source.intervalMs), (source.lastObservedRound[host] ?? -1) + 1, reported - perHost + 1);
    if (first > reported) continue;
    const addMs = version === TARGET_VERSION ? (source.latencyAddMs[host] ?? 0) : 0;
    for (let round = first; round <= reported; round++) {
      const latency = checkLatency(source.seed, i, round, source.checkLatencyMs, source.latencySpread, addMs);
      source.add(host, source.startedAt + round * source.intervalMs, version, latency);
      added++;
    }
    source.lastObservedRound[host] = reported;
  }
  return added;
}
