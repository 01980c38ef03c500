import { compareLatency, type LatencyVerdict } from '../engine/latency-gate.ts';
import type { LatencyGate } from '../engine/policy.ts';
import { CHECK_ID } from './check-results.ts';
import { HEALTHY, type HostColumns } from './host-columns.ts';

/**
 * The passing check runs of the fast path (the first after each patch, and the latency samples),
 * four numbers each in growing typed arrays instead of an observation object each: what the
 * latency gate compares.
 */
export class CheckColumns {
  private position: Int32Array;
  private at: Float64Array;
  private onTarget: Uint8Array;
  private latency: Float64Array;
  count = 0;

  /** Room for `expected` runs before the columns grow: a first run for every host, and some samples. */
  constructor(expected = 1024) {
    this.position = new Int32Array(expected);
    this.at = new Float64Array(expected);
    this.onTarget = new Uint8Array(expected);
    this.latency = new Float64Array(expected);
  }

  add(p: number, at: number, onTarget: boolean, latencyMs: number): void {
    if (this.count === this.position.length) this.grow();
    const k = this.count++;
    this.position[k] = p;
    this.at[k] = at;
    this.onTarget[k] = onTarget ? 1 : 0;
    // Kept as the observation the engine would read has it: to a tenth of a millisecond (check-results.ts).
    this.latency[k] = Math.max(0, Math.round(latencyMs * 10)) / 10;
  }

  /**
   * ringLatency (latency-gate.ts) over these runs: patched samples from the ring's healthy hosts
   * since their patch, baseline samples from hosts on the old version since the ring started.
   */
  ringLatency(hosts: HostColumns, ring: number, ringStart: number, gate: LatencyGate): LatencyVerdict {
    const patched: number[] = [];
    const baseline: number[] = [];
    const first = hosts.firstOf[ring]!;
    const end = hosts.endOf[ring]!;
    for (let k = 0; k < this.count; k++) {
      const at = this.at[k]!;
      if (this.onTarget[k] === 0) {
        if (at >= ringStart) baseline.push(this.latency[k]!);
        continue;
      }
      const p = this.position[k]!;
      if (p >= first && p < end && hosts.phase[p] === HEALTHY && at >= hosts.patchedAt[p]!) patched.push(this.latency[k]!);
    }
    // A side with no sample has no entry at all, as in the engine's maps.
    const side = (samples: number[]) => new Map(samples.length > 0 ? [[CHECK_ID, samples]] : []);
    return compareLatency(side(patched), side(baseline), gate);
  }

  private grow(): void {
    const size = this.position.length * 2;
    const position = new Int32Array(size);
    position.set(this.position);
    const at = new Float64Array(size);
    at.set(this.at);
    const onTarget = new Uint8Array(size);
    onTarget.set(this.onTarget);
    const latency = new Float64Array(size);
    latency.set(this.latency);
    this.position = position;
    this.at = at;
    this.onTarget = onTarget;
    this.latency = latency;
  }
}
