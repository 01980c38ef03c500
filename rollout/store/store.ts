import type { LabReport } from '../../lab/run/report.ts';
import type { Verdict } from '../../lab/run/verdict.ts';
import type { RolloutPolicy } from '../policy.ts';
import type { Observation } from '../observations.ts';
import type { PackageVersion } from '../schedule/history.ts';
import type { ScheduleSpec } from '../schedule/spec.ts';
import type { CheckStatus } from '../../lab/checks/types.ts';
import type { PatchRef, Phase, RolloutState } from '../state.ts';

/*
 * Where rollouts, their transitions, ring health over time and lab runs are kept. Every method
 * returns a promise, although SQLite answers at once, so that a PostgreSQL store shared by several
 * workers can stand behind the same interface.
 *
 * The protocol that makes a restart resume exactly: load the rollout (state and seq), compute the
 * next state, record it, and only then act on it (patch hosts, tell the fleet to roll back).
 * Recording passes the seq the new state was computed from; if another writer (a release manager's
 * command from the CLI while `serve` runs) got there first, the store refuses with 'stale' instead
 * of silently dropping that writer's step: load again and recompute. Commands set absolute values,
 * so recomputing them is safe.
 */

export interface NewStoredRollout {
  /** The rollout's id and creation time are the state's own. */
  state: RolloutState;
  /** The scenario the rollout came from, as the user named it. */
  scenario: string;
  policy: RolloutPolicy;
  meta?: Record<string, unknown>;
}

export interface StoredRollout {
  id: string;
  scenario: string;
  createdAt: number;
  /** When the last transition happened, on the rollout's own clock. */
  updatedAt: number;
  state: RolloutState;
  policy: RolloutPolicy;
  meta: Record<string, unknown>;
  /** How many transitions are stored; pass it to the next recordTransition. */
  seq: number;
}

export interface RolloutSummary {
  id: string;
  scenario: string;
  phase: Phase;
  /** Name of the ring being patched, soaked or awaiting approval. */
  ring: string;
  patch: PatchRef;
  createdAt: number;
  updatedAt: number;
  seq: number;
}

/** A decision of the engine, host events a fleet driver reported, or a release manager's command. */
export type TransitionKind = 'decision' | 'host-events' | 'command';

export interface NewTransition {
  at: number;
  /** ENGINE, the fleet driver, or the person who gave the command. */
  actor: string;
  kind: TransitionKind;
  /** The decision, the events or the command as they were applied, with their reasons. */
  payload: unknown;
}

export interface StoredTransition extends NewTransition {
  /** 1 for a rollout's first transition, then one more for each. */
  seq: number;
}

/** An observation with the id the store gave it: ids only grow, so a reader can ask for what came after the last it saw. */
export interface StoredObservation extends Observation {
  id: number;
}

export interface HealthSample {
  at: number;
  /** Ring name. */
  ring: string;
  /** Share of patched hosts not failed; null before any host is patched. */
  passRate: number | null;
  failed: number;
  budget: number;
  latencyP50: number | null;
}

export type NewHealthSample = Omit<HealthSample, 'latencyP50'> & { latencyP50?: number | null };

export interface LabRunSummary {
  runId: string;
  /** Image name, without the tag. */
  image: string;
  verdict: Verdict;
  startedAt: string;
  durationMs: number;
}

export interface StoredScheduleRecord {
  spec: ScheduleSpec;
  addedAt: number;
}

/** One image's part of a scheduled run. */
export interface ScheduledImageResult {
  image: string;
  /** The lab run's id (its report is in the lab runs); absent when the lab could not even start. */
  runId?: string;
  verdict: Verdict;
  /** Pending updates found, as name=version, and which of them were not pending at the schedule's previous run. */
  upgradable: string[];
  newlyUpgradable: string[];
  /** What the run installed, and the patched host's check results. */
  patches: PackageVersion[];
  checks: { id: string; name: string; status: CheckStatus }[];
  error?: string;
}

export interface ScheduleRunRecord {
  schedule: string;
  startedAt: number;
  /** The slot it ran for; null for `schedule run-now`. */
  slotAt: number | null;
  /** More than one slot had passed (the server was down): this run stood for all of them. */
  coalesced: boolean;
  finishedAt: number;
  images: ScheduledImageResult[];
  /** The failure webhook's answer, when one was called. */
  webhook?: { status?: number; error?: string };
}

export interface Store {
  /** Refuses an id already stored ('duplicate'). */
  createRollout(rollout: NewStoredRollout): Promise<void>;
  /**
   * Appends the transition and replaces the current state in one transaction, and returns the
   * transition's seq. `expectedSeq` is the seq of the state `stateAfter` was computed from.
   * Refuses an unknown rollout ('not-found'), a newer stored seq ('stale'), and a state or
   * payload JSON would not give back exactly ('invalid'); a refusal stores nothing.
   */
  recordTransition(id: string, transition: NewTransition, stateAfter: RolloutState, expectedSeq: number): Promise<number>;
  loadRollout(id: string): Promise<StoredRollout | undefined>;
  /** Newest first. */
  listRollouts(): Promise<RolloutSummary[]>;
  /** In seq order; `afterSeq` gives only the newer ones, for a timeline that polls. */
  transitions(id: string, range?: { afterSeq?: number; limit?: number }): Promise<StoredTransition[]>;
  recordHealthSample(id: string, sample: NewHealthSample): Promise<void>;
  /** Oldest first. */
  healthSamples(id: string): Promise<HealthSample[]>;
  /** One batch in one transaction: a restart sees all of a check round or none of it. */
  recordObservations(id: string, observations: readonly Observation[]): Promise<void>;
  /** Oldest first; `sinceAt` keeps only those taken at or after it. */
  observations(id: string, range?: { sinceAt?: number }): Promise<Observation[]>;
  /**
   * In the order they were stored (by id), only those stored after `afterId` (0 for all): for a
   * reader that keeps what it has seen, such as the rollout page. A batch is visible whole or not
   * at all, and a later batch never gets a smaller id than one already visible.
   */
  observationsSince(id: string, afterId: number): Promise<StoredObservation[]>;
  /** Saving a run again replaces it, so a retried save is harmless. */
  saveLabRun(report: LabReport): Promise<void>;
  loadLabRun(runId: string): Promise<LabReport | undefined>;
  /** Newest first; `image` is the image name without the tag. */
  listLabRuns(filter?: { image?: string; limit?: number }): Promise<LabRunSummary[]>;
  /** Refuses a name already taken ('duplicate'). */
  addSchedule(schedule: StoredScheduleRecord): Promise<void>;
  /** By name. */
  listSchedules(): Promise<StoredScheduleRecord[]>;
  /** Its runs go with it; refuses an unknown name ('not-found'). */
  removeSchedule(name: string): Promise<void>;
  recordScheduleRun(run: ScheduleRunRecord): Promise<void>;
  /** Oldest first. */
  scheduleRuns(filter?: { schedule?: string }): Promise<ScheduleRunRecord[]>;
  /** Where the store keeps its data (a file path, or ':memory:'): tells one store's fleets from another's. */
  readonly location: string;
  close(): Promise<void>;
}

export type StoreErrorCode = 'not-found' | 'duplicate' | 'stale' | 'invalid' | 'newer-schema';

/** A refusal the caller can act on: 'not-found' and 'duplicate' map to 404 and 409, 'stale' means load again. */
export class StoreError extends Error {
  override name = 'StoreError';
  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(message);
  }
}
