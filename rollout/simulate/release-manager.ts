import { approve, resume, rollback } from '../engine/commands.ts';
import { ENGINE } from '../engine/state.ts';
import { APPROVAL, PAUSE_ANSWER } from './event-kinds.ts';
import type { FleetDriver } from './fleet-driver.ts';
import { keepState, type RunContext } from './run-context.ts';
import { RELEASE_MANAGER } from './simulation-input.ts';
import { formatDuration } from '../engine/format.ts';

/**
 * The simulated release manager: approves a ring that waits for approval, and answers a pause
 * the engine made (resuming or rolling back), each after the delay the settings give.
 */
export class ReleaseManager {
  private approvalFor = -1;
  /** When each pause answered began; a PAUSE_ANSWER event names one by its position. */
  private readonly pausesAnswered: number[] = [];

  constructor(
    private readonly run: RunContext,
    private readonly driver: FleetDriver,
  ) {}

  /** A wait for approval or a pause the engine just entered gets its answer as an event of its own. */
  scheduleAnswers(now: number): void {
    const { state, queue, settings } = this.run;
    const { approveAfterMs, respondAfterMs } = settings.releaseManager;
    if (state.phase === 'awaiting-approval' && this.approvalFor !== state.ring) {
      this.approvalFor = state.ring;
      queue.push(now + approveAfterMs, APPROVAL, state.ring);
    }
    if (state.phase === 'paused' && state.paused?.by === ENGINE && this.pausesAnswered.at(-1) !== state.paused.at) {
      this.run.figures.pauses++;
      this.pausesAnswered.push(state.paused.at);
      queue.push(now + respondAfterMs, PAUSE_ANSWER, this.pausesAnswered.length - 1);
    }
  }

  approve(ring: number): void {
    const { state, clock, settings } = this.run;
    const name = state.rings[ring]?.name ?? '';
    if (state.phase !== 'awaiting-approval' || state.ring !== ring) return;
    const reason = `approved after ${formatDuration(settings.releaseManager.approveAfterMs)}, as the simulation's release manager does`;
    keepState(this.run, approve(state, { actor: RELEASE_MANAGER, reason, ring: name }, clock.now));
    this.run.figures.record(clock.now, RELEASE_MANAGER, 'approve', name, [reason]);
    clock.wake(clock.now);
  }

  answerPause(pause: number): void {
    const { state, clock, settings, figures } = this.run;
    const now = clock.now;
    if (state.phase !== 'paused' || state.paused?.at !== this.pausesAnswered[pause]) return;
    const name = state.rings[state.ring]?.name ?? '';
    const { onPause, respondAfterMs } = settings.releaseManager;
    const reason = `${onPause === 'resume' ? 'resumed, accepting the failures,' : 'rolled back'} after ${formatDuration(respondAfterMs)}, as the simulation's release manager does`;
    const command = { actor: RELEASE_MANAGER, reason };
    if (onPause === 'resume') {
      keepState(this.run, resume(state, command, now));
    } else {
      keepState(this.run, rollback(state, command, now));
      figures.rollbackOrdered(now, name, RELEASE_MANAGER, [reason]);
      this.driver.dispatchRollbacks(now);
    }
    figures.record(now, RELEASE_MANAGER, onPause, name, [reason]);
    clock.wake(now);
  }
}
