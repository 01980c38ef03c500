import { selectFaultHosts, type Fault, type SelectableHost } from '../fleets/faults.ts';
import { hash32 } from './random.ts';

/** What each host of the simulated fleet will do, by index: one typed array per fault, a few bytes per host. */
export interface HostFaults {
  /** The patch breaks the service here: every check fails once it lands (bad-package). */
  broken: Uint8Array;
  /** The patch makes checks this much slower here (latency). */
  latencyAddMs: Float32Array;
  /** The host goes away halfway through its patch (host-lost). */
  lost: Uint8Array;
  /** Check runs that fail after the patch before the host settles (flaky). */
  flaky: Uint8Array;
  /** The patch fails to unpack and the host keeps its old version (disk-full). */
  diskFull: Uint8Array;
  /** Never answers: the patch times out, no check ever arrives (offline). */
  offline: Uint8Array;
  /** Check results arrive this late (slow-report). */
  reportDelayMs: Float64Array;
  /** Chance that one check result is flipped, pass to fail or fail to pass (check-noise). */
  flipProbability: Float32Array;
  /** Hosts the patch itself harms (broken or slowed): a patch with none is a good patch. */
  harmed: number;
}

/**
 * The scenario's faults laid over the simulated fleet. Each fault draws its hosts with its own
 * seed (the run's seed mixed with the fault's place in the list), so an offline fault and a
 * bad-package fault of the same probability hit different hosts rather than the very same ones.
 * Hosts are drawn by fleet index; each host's figures go where `placeOf` says (a run keeps them
 * by position in the rollout's host list), at its index when it says nothing.
 */
export function hostFaults(
  faults: readonly Fault[],
  size: number,
  selectable: () => readonly SelectableHost[],
  seed: number,
  placeOf?: Int32Array,
): HostFaults {
  // Built only when some fault needs it: a hundred thousand objects for nothing otherwise.
  const hosts = faults.length > 0 ? selectable() : [];
  const result: HostFaults = {
    broken: new Uint8Array(size),
    latencyAddMs: new Float32Array(size),
    lost: new Uint8Array(size),
    flaky: new Uint8Array(size),
    diskFull: new Uint8Array(size),
    offline: new Uint8Array(size),
    reportDelayMs: new Float64Array(size),
    flipProbability: new Float32Array(size),
    harmed: 0,
  };
  faults.forEach((fault, nth) => {
    for (const index of selectFaultHosts(fault.hosts, hosts, hash32(seed, nth + 1))) {
      const i = placeOf ? placeOf[index]! : index;
      switch (fault.kind) {
        case 'bad-package':
          result.broken[i] = 1;
          break;
        case 'latency':
          result.latencyAddMs[i] = (result.latencyAddMs[i] ?? 0) + fault.addMs;
          break;
        case 'host-lost':
          result.lost[i] = 1;
          break;
        case 'flaky':
          result.flaky[i] = Math.min(255, (result.flaky[i] ?? 0) + fault.failures);
          break;
        case 'disk-full':
          result.diskFull[i] = 1;
          break;
        case 'offline':
          result.offline[i] = 1;
          break;
        case 'slow-report':
          result.reportDelayMs[i] = Math.max(result.reportDelayMs[i] ?? 0, fault.delayMs);
          break;
        case 'check-noise': {
          // Two independent flips cancel out: the result is flipped when exactly one of them fires.
          const q = result.flipProbability[i] ?? 0;
          result.flipProbability[i] = q + fault.flipProbability - 2 * q * fault.flipProbability;
          break;
        }
      }
    }
  });
  for (let i = 0; i < size; i++) if (result.broken[i] || (result.latencyAddMs[i] ?? 0) > 0) result.harmed++;
  return result;
}

/** The patch breaks this host or slows it: what the blast radius counts. */
export function harms(faults: HostFaults, i: number): boolean {
  return faults.broken[i] === 1 || (faults.latencyAddMs[i] ?? 0) > 0;
}

/** The chance that one check run of this host fails once it runs the patch. */
export function failProbability(faults: HostFaults, i: number): number {
  const flip = faults.flipProbability[i] ?? 0;
  return faults.broken[i] ? 1 - flip : flip;
}

