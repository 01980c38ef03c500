import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The slowest files first, so that on a fresh clone (no timings cached yet) the two workers do
 * not end on one long file alone: this order keeps CI well under its 30 minutes.
 */
const SLOW_FIRST = ['lab-run-vm.', 'coordinator-takeover', 'scenarios/demo.', 'e2e/', 'scenarios/latency', 'lab-run.', 'advisories-bisect', 'schedule-bisect', 'scenarios/', 'workers-rollout', 'worker-cache-fill', 'worker-unstored-fleet', 'workers-patch-deb', 'schedule.test', 'rollout-resume', 'minimum-age-rollout', 'serve-drives', 'inventory-scan', 'faults.test', 'fault-', 'interrupt', 'checks-goss-full', 'checks-exec-batch', 'store-postgres'];

export class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (file: TestSpecification) => {
      const at = SLOW_FIRST.findIndex((part) => file.moduleId.includes(part));
      return at === -1 ? SLOW_FIRST.length : at;
    };
    return [...(await super.sort(files))].sort((a, b) => rank(a) - rank(b));
  }
}
