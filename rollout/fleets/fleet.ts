import type { Observation } from '../engine/observations.ts';
import type { FleetHost } from '../engine/plan.ts';
import type { HostEvent } from '../engine/transitions.ts';

/**
 * The Fleet port: what the rollout runner needs from a fleet, real or simulated. The same engine
 * decides for both; only this side differs.
 */
export interface Fleet {
  /** The hosts, their labels and what they run now. */
  hosts(): readonly FleetHost[];
  /** Installs the patch on one host; resolves to what happened, never throws for a host's own failure. */
  patch(hostId: string): Promise<HostEvent>;
  /** Puts one host back on the version it had before the patch. */
  rollback(hostId: string): Promise<HostEvent>;
  /** Runs the checks on one host now. */
  check(hostId: string): Promise<Observation>;
  /** Removes what the fleet made. */
  close(): Promise<void>;
}
