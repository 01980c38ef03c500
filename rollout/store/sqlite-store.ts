import { SqliteScheduleStore } from '../../lab/schedule/sqlite-schedule-store.ts';
import { defaultStorePath, openSqliteDatabase } from '../../lab/store/sqlite-database.ts';
import { SqliteLabRunStore } from '../../lab/store/sqlite-lab-run-store.ts';
import { SqliteRolloutStore } from './sqlite-rollout-store.ts';
import type { Store } from './store.ts';

export { defaultStorePath };

/**
 * The embedded default: every concern's store over one SQLite file (created with its directory
 * if need be); ':memory:' gives a throwaway one.
 */
export function openStore(path: string = defaultStorePath()): Store {
  const { db, location } = openSqliteDatabase(path);
  const rollouts = new SqliteRolloutStore(db, location);
  const labRuns = new SqliteLabRunStore(db);
  const schedules = new SqliteScheduleStore(db);
  return {
    location,
    createRollout: (rollout) => rollouts.createRollout(rollout),
    recordTransition: (id, transition, after, expectedSeq) => rollouts.recordTransition(id, transition, after, expectedSeq),
    loadRollout: (id) => rollouts.loadRollout(id),
    listRollouts: () => rollouts.listRollouts(),
    transitions: (id, range) => rollouts.transitions(id, range),
    recordHealthSample: (id, sample) => rollouts.recordHealthSample(id, sample),
    healthSamples: (id) => rollouts.healthSamples(id),
    recordObservations: (id, observations) => rollouts.recordObservations(id, observations),
    observations: (id, range) => rollouts.observations(id, range),
    observationsSince: (id, afterId) => rollouts.observationsSince(id, afterId),
    saveLabRun: (report) => labRuns.saveLabRun(report),
    loadLabRun: (runId) => labRuns.loadLabRun(runId),
    listLabRuns: (filter) => labRuns.listLabRuns(filter),
    addSchedule: (schedule) => schedules.addSchedule(schedule),
    listSchedules: () => schedules.listSchedules(),
    removeSchedule: (name) => schedules.removeSchedule(name),
    recordScheduleRun: (run) => schedules.recordScheduleRun(run),
    scheduleRuns: (filter) => schedules.scheduleRuns(filter),
    close: async () => {
      db.close();
    },
  };
}
