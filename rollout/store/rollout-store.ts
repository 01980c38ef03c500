import type { HealthSample, NewHealthSample } from '../engine/health-samples.ts';
import type { Observation } from '../engine/observations.ts';
import type { RolloutPolicy } from '../engine/policy.ts';
import type { PatchRef, Phase, RolloutState } from '../engine/state.ts';
import type { LeaseFence } from './lease-store.ts';

/*
 * Where rollouts, their transitions, their check results and ring health over time are kept.
 * Every method returns a promise, although SQLite answers at once, so that a PostgreSQL store
 * shared by several workers can stand behind the same interface.
 *
 * The protocol that makes a restart resume exactly: load the rollout (state and seq), compute the
 * next state, record it, and only then act on it (patch hosts, tell the fleet to roll back).
 * Recording passes the seq the new state was computed from; if another writer (a release manager's
 * command from the CLI while `serve` runs) got there first, the store refuses with 'stale' instead
 * of silently dropping that writer's step: load again and recompute. Commands set absolute values,
 * so recomputing them is safe.
 *
 * A driver's writes also pass the fence of its lease (lease-store.ts): a write whose epoch is no
 * longer the lease's is refused ('fenced') and stores nothing. People's commands pass none.
 */

export type { HealthSample, NewHealthSample };

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
  /** Until when its first patch waits for the updates' minimum age; null without a wait or once an admin overrode it. */
  ageWaitUntil: number | null;
  /**
   * How the rollout came by its policy, as its meta stored it when it was created (read it with
   * readPolicyChoice, rollout/drive/policy-choice.ts); null for a rollout from before policy choices.
   */
  policyChoice: Record<string, unknown> | null;
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

/** A health sample with the id the store gave it, for a reader that asks only for newer ones. */
export interface StoredHealthSample extends HealthSample {
  id: number;
}

export interface RolloutStore {
  /** Refuses an id already stored ('duplicate'). */
  createRollout(rollout: NewStoredRollout): Promise<void>;
  /**
   * Appends the transition and replaces the current state in one transaction, and returns the
   * transition's seq. `expectedSeq` is the seq of the state `stateAfter` was computed from.
   * Refuses an unknown rollout ('not-found'), a newer stored seq ('stale'), and a state or
   * payload JSON would not give back exactly ('invalid'), and an old lease's `fence` ('fenced');
   * a refusal stores nothing.
   */
  recordTransition(id: string, transition: NewTransition, stateAfter: RolloutState, expectedSeq: number, fence?: LeaseFence): Promise<number>;
  loadRollout(id: string): Promise<StoredRollout | undefined>;
  /**
   * The rollout's seq alone, by its key (undefined for an unknown rollout): every write of a stored
   * rollout moves its seq, so a reader that keeps a loaded rollout learns whether it is still the
   * one stored without reading and parsing its state again.
   */
  rolloutVersion(id: string): Promise<number | undefined>;
  /** Newest first. */
  listRollouts(): Promise<RolloutSummary[]>;
  /** In seq order; `afterSeq` gives only the newer ones, for a timeline that polls. */
  transitions(id: string, range?: { afterSeq?: number; limit?: number }): Promise<StoredTransition[]>;
  recordHealthSample(id: string, sample: NewHealthSample, fence?: LeaseFence): Promise<void>;
  /** Oldest first. */
  healthSamples(id: string): Promise<HealthSample[]>;
  /** In the order stored (by id), only those stored after `afterId` (0 for all), as observationsSince gives observations. */
  healthSamplesSince(id: string, afterId: number): Promise<StoredHealthSample[]>;
  /** One batch in one transaction: a restart sees all of a check round or none of it. */
  recordObservations(id: string, observations: readonly Observation[], fence?: LeaseFence): Promise<void>;
  /** Oldest first; `sinceAt` keeps only those taken at or after it. */
  observations(id: string, range?: { sinceAt?: number }): Promise<Observation[]>;
  /**
   * In the order they were stored (by id), only those stored after `afterId` (0 for all): for a
   * reader that keeps what it has seen, such as the rollout page. A batch is visible whole or not
   * at all, and a later batch never gets a smaller id than one already visible.
   */
  observationsSince(id: string, afterId: number): Promise<StoredObservation[]>;
  /** Where the store keeps its data (a file path, or ':memory:'): tells one store's fleets from another's. */
  readonly location: string;
}
