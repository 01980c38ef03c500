import type { RingState } from '../engine/state.ts';

// A host's phase as the engine would hold it, on the fast path (which leaves before any other).
export const PENDING = 0;
export const PATCHING = 1;
export const HEALTHY = 2;

/**
 * Raised where the fast path meets what it does not model (a failed patch or check, a check
 * timeout, an approval, a rollback, a stall): the plan is then simulated again on the engine's
 * own state, from the start, which gives the same answers by construction.
 */
export class LeftFastPath extends Error {
  override name = 'LeftFastPath';
}

/**
 * What the engine's state holds per host, for the hosts the fast path knows (each patched once,
 * every check passing), as typed arrays by position in the engine's host list (ring by ring), and
 * the counts the engine's decisions read, kept as hosts change rather than counted per decision:
 * no object per host, and each host judged once, when its first check arrives.
 */
export class HostColumns {
  readonly phase: Uint8Array;
  readonly patchedAt: Float64Array;
  /** 1 once a check run since the patch passed: the host's verdict is "passing", else "unobserved". */
  readonly observed: Uint8Array;
  /** By ring: its first position, the next host to patch, and counts. */
  readonly firstOf: Int32Array;
  readonly nextPending: Int32Array;
  readonly endOf: Int32Array;
  readonly patchingIn: Int32Array;
  readonly patched: Int32Array;
  readonly unobserved: Int32Array;
  patching = 0;

  constructor(
    size: number,
    readonly rings: readonly RingState[],
  ) {
    this.phase = new Uint8Array(size);
    this.patchedAt = new Float64Array(size);
    this.observed = new Uint8Array(size);
    const n = rings.length;
    this.firstOf = new Int32Array(n);
    this.nextPending = new Int32Array(n);
    this.endOf = new Int32Array(n);
    this.patchingIn = new Int32Array(n);
    this.patched = new Int32Array(n);
    this.unobserved = new Int32Array(n);
    let start = 0;
    rings.forEach((ring, r) => {
      this.firstOf[r] = start;
      this.nextPending[r] = start;
      start += ring.hostIds.length;
      this.endOf[r] = start;
    });
  }

  pendingOf(ring: number): number {
    return this.endOf[ring]! - this.nextPending[ring]!;
  }

  ringOf(p: number): number {
    let r = 0;
    while (p >= this.endOf[r]!) r++;
    return r;
  }

  /** The next `count` pending hosts of the ring start patching; their positions, in order. */
  startPatching(ring: number, count: number): number[] {
    const positions: number[] = [];
    const from = this.nextPending[ring]!;
    for (let p = from; p < from + count; p++) {
      this.phase[p] = PATCHING;
      positions.push(p);
    }
    this.nextPending[ring] = from + count;
    this.patchingIn[ring]! += count;
    this.patching += count;
    return positions;
  }

  /** The patch landed (the engine applies the driver's report): healthy, not yet observed. */
  landed(p: number, now: number): void {
    if (this.phase[p] !== PATCHING) throw new LeftFastPath(`position ${p} reported a patch it was not patching`);
    const ring = this.ringOf(p);
    this.phase[p] = HEALTHY;
    this.patchedAt[p] = now;
    this.patchingIn[ring]!--;
    this.patching--;
    this.patched[ring]!++;
    this.unobserved[ring]!++;
  }

  /** A passing check run: the host's first since its patch makes it "passing". */
  passed(p: number, at: number): void {
    if (this.phase[p] !== HEALTHY || this.observed[p] === 1 || at < this.patchedAt[p]!) return;
    this.observed[p] = 1;
    this.unobserved[this.ringOf(p)]!--;
  }

  busy(ring: number): boolean {
    return this.pendingOf(ring) > 0 || this.patchingIn[ring]! > 0;
  }
}
