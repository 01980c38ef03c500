import { ObservationLog } from '../engine/observation-log.ts';
import type { RolloutPolicy } from '../engine/policy.ts';
import { createRollout, type RolloutState } from '../engine/state.ts';
import type { HostEvent } from '../engine/transitions.ts';
import { ObservationFactory } from './check-results.ts';
import { ConsultClock } from './consult-clock.ts';
import { EventQueue } from './event-queue.ts';
import { indexOfHost, TARGET_VERSION, type SimulatedFleet } from './fleet-hosts.ts';
import { hostFaults, type HostFaults } from './host-faults.ts';
import { HostTable } from './host-table.ts';
import { RunFigures } from './run-figures.ts';
import type { SimulationSettings } from './settings.ts';
import { SIMULATION_START, type SimulationInput } from './simulation-input.ts';

export interface WorkCounters {
  engineSteps: number;
  consults: number;
  hostEvents: number;
  queueEvents: number;
}

/** What the parts of one simulated run share: the world it runs in, its clock, its hosts and the engine's state. */
export interface RunContext {
  readonly fleet: SimulatedFleet;
  readonly settings: SimulationSettings;
  readonly policy: RolloutPolicy;
  readonly seed: number;
  readonly intervalMs: number;
  readonly faults: HostFaults;
  readonly hosts: HostTable;
  readonly queue: EventQueue;
  /** Check history by host as the engine reads it, kept up to date rather than re-indexed per decision. */
  readonly log: ObservationLog;
  readonly factory: ObservationFactory;
  readonly figures: RunFigures;
  readonly clock: ConsultClock;
  readonly counters: WorkCounters;
  state: RolloutState;
  /** Host events since the engine last looked, applied at its next consult. */
  reported: HostEvent[];
}

export function createRunContext(input: SimulationInput): RunContext {
  const seed = input.seed >>> 0;
  const size = input.fleet.size;
  const state = createRollout({
    id: `simulation-${seed}`,
    patch: { name: input.patch?.name ?? 'the patch', version: TARGET_VERSION, severity: input.patch?.severity ?? 'high' },
    hosts: input.fleet.hosts,
    rings: input.rings,
    now: SIMULATION_START,
  });
  const hosts = new HostTable(size, state.rings.length);
  for (const host of state.hosts) hosts.ringOf[indexOfHost(input.fleet, host.id)] = host.ring;
  const names = state.rings.map((r) => r.name);
  const faults = hostFaults(
    input.faults,
    size,
    () => input.fleet.hosts.map((host, index) => ({ index, labels: host.labels, ring: names[hosts.ringOf[index]!] ?? '' })),
    seed,
  );
  return {
    fleet: input.fleet,
    settings: input.settings,
    policy: input.policy,
    seed,
    intervalMs: input.checkIntervalMs,
    faults,
    hosts,
    queue: new EventQueue(),
    log: new ObservationLog(),
    factory: new ObservationFactory(),
    figures: new RunFigures(SIMULATION_START, size),
    clock: new ConsultClock(SIMULATION_START, Math.max(1, Math.round(input.settings.tickMs))),
    counters: { engineSteps: 0, consults: 0, hostEvents: 0, queueEvents: 0 },
    state,
    reported: [],
  };
}
