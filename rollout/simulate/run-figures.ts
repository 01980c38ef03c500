import type { SimulationResult, TimelineEntry } from './result.ts';
import { StepSeries } from './series.ts';

/**
 * What a run measures as it goes: hosts on the patch over time, when 95 % had it, the harmed
 * hosts it reached and for how long, and the story of the run with the engine's reasons.
 */
export class RunFigures {
  patched = 0;
  peakPatched = 0;
  timeTo95: number | null = null;
  blastRadius = 0;
  harmedMs = 0;
  /** Patches the driver started. */
  started = 0;
  startedBeforeRollback: number | null = null;
  rollback: SimulationResult['rollback'] = null;
  pauses = 0;
  readonly timeline: TimelineEntry[] = [];
  readonly series = new StepSeries();
  private readonly threshold95: number;

  constructor(
    private readonly start: number,
    size: number,
  ) {
    this.threshold95 = Math.ceil(0.95 * size);
  }

  landed(now: number, harms: boolean): void {
    this.patched++;
    if (harms) this.blastRadius++;
    this.peakPatched = Math.max(this.peakPatched, this.patched);
    if (this.timeTo95 === null && this.patched >= this.threshold95) this.timeTo95 = now - this.start;
    this.series.record(now, this.patched);
  }

  /** A host back on its base version; `harmedSince` is when the patch landed on a host it harms. */
  restored(now: number, harmedSince: number | null): void {
    this.patched--;
    if (harmedSince !== null) this.harmedMs += now - harmedSince;
    this.series.record(now, this.patched);
  }

  rollbackOrdered(now: number, ring: string, actor: string, reasons: string[]): void {
    this.startedBeforeRollback = this.started;
    this.rollback = { atMs: now - this.start, ring, actor, reasons };
  }

  record(now: number, actor: string, action: string, ring: string, reasons: string[]): void {
    this.timeline.push({ atMs: now - this.start, actor, action, ring, reasons });
  }
}
