// What the driver is doing on a host.
export const IDLE = 0;
export const PATCHING = 1;
export const ROLLING_BACK = 2;

/**
 * Per host, by its position in the rollout's host list: what it really runs and what the driver
 * is doing on it, in typed arrays (a few bytes a host), read by the driver, the check runner and
 * the figures alike. By position, because the engine patches hosts in that order: a wave is a
 * range of neighbours in memory rather than a scatter over the fleet (a random read of memory
 * costs a hundred times a sequential one on this kind of machine).
 */
export class HostTable {
  /** 1 where the host runs the patch. */
  readonly onPatch: Uint8Array;
  /** IDLE, PATCHING or ROLLING_BACK. */
  readonly activity: Uint8Array;
  /** The rollback came while the host was patching: it is rolled back as soon as its patch ends. */
  readonly rollbackAfterPatch: Uint8Array;
  /** When the patch landed, for the hours harmed hosts ran it. */
  readonly landedAt: Float64Array;
  readonly ringOf: Uint8Array;
  /** The fleet index of the host at each position (its draws are keyed by index), and each index's position. */
  readonly indexAt: Int32Array;
  readonly position: Int32Array;
  /** Hosts patching now. */
  inFlight = 0;
  /** Hosts the driver has started patching, by ring. */
  readonly dispatched: number[];

  constructor(size: number, rings: number) {
    this.onPatch = new Uint8Array(size);
    this.activity = new Uint8Array(size);
    this.rollbackAfterPatch = new Uint8Array(size);
    this.landedAt = new Float64Array(size);
    this.ringOf = new Uint8Array(size);
    this.position = new Int32Array(size);
    this.indexAt = new Int32Array(size);
    this.dispatched = new Array<number>(rings).fill(0);
  }
}

