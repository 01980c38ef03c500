/** How a simulated rollout ended: as the engine ended it, or stopped by the simulator's limits. */
export type Outcome = 'completed' | 'rolled-back' | 'stopped';

/** A step that changed the rollout other than patching hosts: the story of a run, with the engine's reasons. */
export interface TimelineEntry {
  atMs: number;
  actor: string;
  action: string;
  ring: string;
  reasons: string[];
}

export interface RingSummary {
  name: string;
  hosts: number;
  concurrency: number;
  failureBudget: number;
  soakMs: number;
  /** Where the ring's hosts ended, as the engine saw them: on the patch, failed, rolled back. */
  ended: { patched: number; failed: number; rolledBack: number };
}

/** One policy on one seeded fleet. Times are simulated ms since the rollout started. */
export interface SimulationResult {
  name: string;
  seed: number;
  hosts: number;
  rings: RingSummary[];
  outcome: Outcome;
  stopReason: string | null;
  /** Until the rollout completed, finished rolling back, or was stopped. */
  durationMs: number;
  /** Until 95 % of the fleet ran the patch: the window attackers have. Null when never reached. */
  timeTo95Ms: number | null;
  peakPatched: number;
  finalPatched: number;
  /** Hosts the fault model says the patch harms (broken, or slowed), whether it reached them or not. */
  harmedHosts: number;
  /** Harmed hosts the patch reached: before the rollback, or at all when none came. */
  blastRadius: number;
  /** Hours harmed hosts ran the patch, summed. */
  harmedHostHours: number;
  /** Hosts whose patch had started when the rollback was ordered (all patched hosts when none was). */
  startedBeforeRollback: number;
  rollback: { atMs: number; ring: string; actor: string; reasons: string[] } | null;
  /** Rolled back although the patch harms no host: check noise, slow reports, offline or flaky hosts did it. */
  falseRollback: boolean;
  pauses: number;
  timeline: TimelineEntry[];
  /** Hosts on the patch over time, thinned for plotting; a step function. */
  series: { atMs: number[]; patched: number[] };
  work: {
    /** Calls of the engine's decide. */
    engineSteps: number;
    /** Times the engine was consulted (one or more decisions at one tick). */
    consults: number;
    /** Patches and rollbacks finished, check results delivered: what a real fleet would report. */
    hostEvents: number;
    queueEvents: number;
  };
}
