import type { LabRunStore } from '../../lab/store/lab-run-store.ts';
import type { BisectStore } from '../../lab/bisect/bisect-store.ts';
import type { HoldStore } from '../../lab/holds/hold-store.ts';
import type { SightingStore } from '../../lab/sightings/sighting-store.ts';
import type { ScheduleStore } from '../../lab/schedule/schedule-store.ts';
import type { LeaseStore } from './lease-store.ts';
import type { RolloutStore } from './rollout-store.ts';
import type { Store } from './store.ts';

/** One store over the concerns' stores of one database, whichever database that is. */
export function composeStore(parts: {
  rollouts: RolloutStore;
  leases: LeaseStore;
  labRuns: LabRunStore;
  schedules: ScheduleStore;
  holds: HoldStore;
  bisects: BisectStore;
  sightings: SightingStore;
  close(): Promise<void>;
}): Store {
  const { rollouts, leases, labRuns, schedules, holds, bisects, sightings, close } = parts;
  return {
    location: rollouts.location,
    createRollout: (rollout) => rollouts.createRollout(rollout),
    recordTransition: (id, transition, after, expectedSeq, fence) => rollouts.recordTransition(id, transition, after, expectedSeq, fence),
    loadRollout: (id) => rollouts.loadRollout(id),
    rolloutVersion: (id) => rollouts.rolloutVersion(id),
    listRollouts: () => rollouts.listRollouts(),
    transitions: (id, range) => rollouts.transitions(id, range),
    recordHealthSample: (id, sample, fence) => rollouts.recordHealthSample(id, sample, fence),
    healthSamples: (id) => rollouts.healthSamples(id),
    healthSamplesSince: (id, afterId) => rollouts.healthSamplesSince(id, afterId),
    recordObservations: (id, observations, fence) => rollouts.recordObservations(id, observations, fence),
    observations: (id, range) => rollouts.observations(id, range),
    observationsSince: (id, afterId) => rollouts.observationsSince(id, afterId),
    claimLease: (rolloutId, owner, at, ttlMs, replacing) => leases.claimLease(rolloutId, owner, at, ttlMs, replacing),
    renewLease: (lease, at, ttlMs) => leases.renewLease(lease, at, ttlMs),
    releaseLease: (lease) => leases.releaseLease(lease),
    liveLeases: (at) => leases.liveLeases(at),
    oneMachine: leases.oneMachine,
    saveLabRun: (report) => labRuns.saveLabRun(report),
    loadLabRun: (runId) => labRuns.loadLabRun(runId),
    listLabRuns: (filter) => labRuns.listLabRuns(filter),
    addSchedule: (schedule) => schedules.addSchedule(schedule),
    listSchedules: () => schedules.listSchedules(),
    removeSchedule: (name) => schedules.removeSchedule(name),
    recordScheduleRun: (run) => schedules.recordScheduleRun(run),
    scheduleRuns: (filter) => schedules.scheduleRuns(filter),
    claimScheduleSlot: (schedule, slotAt, claimedBy, at) => schedules.claimScheduleSlot(schedule, slotAt, claimedBy, at),
    listHolds: () => holds.listHolds(),
    addHold: (hold) => holds.addHold(hold),
    liftHold: (pattern, by, reason, at) => holds.liftHold(pattern, by, reason, at),
    holdEvents: () => holds.holdEvents(),
    saveBisect: (report) => bisects.saveBisect(report),
    loadBisect: (bisectId) => bisects.loadBisect(bisectId),
    listBisects: (filter) => bisects.listBisects(filter),
    noteSightings: (updates, at, seenBy) => sightings.noteSightings(updates, at, seenBy),
    firstSightings: (updates) => sightings.firstSightings(updates),
    close,
  };
}
