import type { Fault } from '../fleets/faults.ts';
import type { RingSpec } from '../engine/plan.ts';
import type { RolloutPolicy, Severity } from '../engine/policy.ts';
import type { SimulatedFleet } from './fleet-hosts.ts';
import type { SimulationSettings } from './settings.ts';

export interface SimulationInput {
  /** The policy's name in results. */
  name: string;
  fleet: SimulatedFleet;
  rings: readonly RingSpec[];
  policy: RolloutPolicy;
  checkIntervalMs: number;
  faults: readonly Fault[];
  seed: number;
  settings: SimulationSettings;
  patch?: { name: string; severity: Severity };
  /** Called once at the end of the run while all of its state is still held: lets a benchmark weigh it. */
  whileAlive?: () => void;
}

/** A Patch Tuesday morning: the engine's reasons show dates, and this one reads as one. */
export const SIMULATION_START = Date.UTC(2025, 0, 14, 9, 0);
export const RELEASE_MANAGER = 'simulated release manager';
