/**
 * Simulated time and when the engine is next asked. The driver reports host events once a tick,
 * so the engine is consulted on the tick grid only, and only when something it reads changed.
 */
export class ConsultClock {
  now: number;
  consultAt: number;
  /** Something changed since the engine was last asked. */
  dirty = true;

  constructor(
    private readonly start: number,
    private readonly tickMs: number,
  ) {
    this.now = start;
    this.consultAt = start;
  }

  /** Asks the engine at the next tick, unless it will be asked by then anyway. */
  wake(at: number): void {
    const tick = this.start + Math.ceil((at - this.start) / this.tickMs) * this.tickMs;
    if (!this.dirty || tick < this.consultAt) this.consultAt = tick;
    this.dirty = true;
  }
}
