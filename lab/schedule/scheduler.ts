import { ownerToken } from '../hosts/labels.ts';
import { silent, type Progress } from '../progress.ts';
import type { ScheduleRunRecord } from './schedule-store.ts';
import type { LabRunStore } from '../store/lab-run-store.ts';
import type { ScheduleStore } from './schedule-store.ts';
import { dueRuns, nextWakeAt, type DueRun } from './due.ts';
import type { ScheduleSpec } from './spec.ts';

export interface SchedulerOptions {
  store: ScheduleStore & LabRunStore;
  /** Runs one due schedule and stores its run (runSchedule, in serve). */
  run: (spec: ScheduleSpec, due: DueRun) => Promise<ScheduleRunRecord>;
  now?: () => number;
  /**
   * Schedules are added from the CLI by other processes, so the store is read again at least
   * this often, even when no slot is near.
   */
  pollMs?: number;
  progress?: Progress;
  /** Who claims the slots it runs; this process by default. */
  claimant?: string;
  /**
   * Claims a due slot: 'run' it here, 'queued' (claimed, and its run is a job for a worker,
   * committed with the claim), or 'taken' by another serve. The store's claim, run here, by default.
   */
  claim?: (due: DueRun, claimant: string, at: number) => Promise<SlotClaim>;
}

export type SlotClaim = 'run' | 'queued' | 'taken';

/** When each schedule last ran for a slot: runs asked for by hand do not move its slots. */
export function lastSlotRuns(runs: readonly ScheduleRunRecord[]): Map<string, number> {
  const last = new Map<string, number>();
  for (const run of runs) if (run.slotAt !== null) last.set(run.schedule, Math.max(last.get(run.schedule) ?? 0, run.startedAt));
  return last;
}

/**
 * The schedules' clock inside `serve`: at start-up it runs, once each, the schedules whose slot
 * passed while the server was down, then sleeps until the next slot. One run at a time: a lab run
 * is heavy, and runs that queue behind it still run, later.
 */
export class Scheduler {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private running: Promise<void> | undefined;
  /** After a tick that failed (the store, say), wait a whole poll rather than retry at once. */
  private failed = false;
  /**
   * After a tick whose due slots were all claimed elsewhere (another serve runs it, or a worker
   * has its job), wait a whole poll too: the slot stays due until that run is recorded.
   */
  private othersRun = false;

  private readonly claimant: string;

  constructor(private readonly options: SchedulerOptions) {
    this.claimant = options.claimant ?? ownerToken();
  }

  start(): void {
    this.stopped = false;
    this.wake();
  }

  /** Stops waking up; a run under way finishes first. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private wake(): void {
    if (this.stopped || this.running) return;
    this.running = this.tick()
      .then(() => {
        this.failed = false;
      })
      .catch((error: Error) => {
        this.failed = true;
        (this.options.progress ?? silent)(`scheduler: ${error.message}`);
      })
      .finally(() => {
        this.running = undefined;
        if (!this.stopped) this.sleep();
      });
  }

  private async tick(): Promise<void> {
    const now = this.options.now ?? Date.now;
    const progress = this.options.progress ?? silent;
    const schedules = (await this.options.store.listSchedules()).map(({ spec, addedAt }) => ({ spec, addedAt }));
    const due = dueRuns(schedules, lastSlotRuns(await this.options.store.scheduleRuns()), now());
    this.othersRun = false;
    for (const run of due) {
      if (this.stopped) return;
      const schedule = schedules.find((s) => s.spec.name === run.name);
      if (!schedule) continue;
      // Several serve processes on one database each see the slot due: the first to claim it runs it.
      const claim = this.options.claim ?? (async (d: DueRun, claimant: string, at: number): Promise<SlotClaim> => ((await this.options.store.claimScheduleSlot(d.name, d.slotAt, claimant, at)) ? 'run' : 'taken'));
      const claimed = await claim(run, this.claimant, now());
      if (claimed !== 'run') {
        this.othersRun = true;
        progress(`schedule ${run.name}: the slot of ${new Date(run.slotAt).toISOString()} ${claimed === 'queued' ? 'is a job for a worker' : 'is taken by another serve'}`);
        continue;
      }
      progress(`schedule ${run.name}: running for ${new Date(run.slotAt).toISOString()}${run.coalesced ? ' (and the slots missed before it)' : ''}`);
      const record = await this.options.run(schedule.spec, run);
      progress(`schedule ${run.name}: ${record.images.map((i) => `${i.image} ${i.verdict}`).join(', ')}`);
    }
  }

  private async sleepUntilNext(): Promise<number> {
    const now = (this.options.now ?? Date.now)();
    const schedules = await this.options.store.listSchedules();
    const next = nextWakeAt(schedules, lastSlotRuns(await this.options.store.scheduleRuns()));
    const poll = this.options.pollMs ?? 30_000;
    if (this.failed) return poll;
    const wait = next === null ? poll : next - now;
    // A slot still due after this tick is one another process runs: not a reason to tick again at once.
    if (this.othersRun && wait <= 0) return poll;
    return Math.max(0, Math.min(poll, wait));
  }

  private sleep(): void {
    this.sleepUntilNext().then(
      (ms) => {
        if (this.stopped) return;
        this.timer = setTimeout(() => this.wake(), ms);
      },
      () => {
        if (!this.stopped) this.timer = setTimeout(() => this.wake(), this.options.pollMs ?? 30_000);
      },
    );
  }
}
