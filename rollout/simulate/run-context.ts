import { ObservationLog } from '../engine/observation-log.ts';
import type { RolloutPolicy } from '../engine/policy.ts';
import { adoptRollout, ownRollout } from '../engine/owned-rollout.ts';
import { createRollout, type RolloutState } from '../engine/state.ts';
import { ObservationFactory } from './check-results.ts';
import { ConsultClock } from './consult-clock.ts';
import { indexOfHost, TARGET_VERSION, type SimulatedFleet } from './fleet-hosts.ts';
import { hostFaults, type HostFaults } from './host-faults.ts';
import { HostReports } from './host-reports.ts';
import { HostTable } from './host-table.ts';
import { RunFigures } from './run-figures.ts';
import type { SimulationSettings } from './settings.ts';
import type { SimulatedTime } from './simulated-time.ts';
import { SIMULATION_START, type SimulationInput } from './simulation-input.ts';
import type { Stepping } from './stepping.ts';

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
  /** By position in the host list, as every per-host array of the run. */
  readonly faults: HostFaults;
  readonly hosts: HostTable;
  readonly queue: SimulatedTime;
  /** Check history by host as the engine reads it, kept up to date rather than re-indexed per decision. */
  readonly log: ObservationLog;
  readonly factory: ObservationFactory;
  readonly figures: RunFigures;
  readonly clock: ConsultClock;
  readonly counters: WorkCounters;
  /** The latest state; set it through keepState. */
  state: RolloutState;
  /** How the run steps (stepping.ts). */
  readonly stepping: Stepping;
  /** Host events since the engine last looked, applied at its next consult. */
  readonly reported: HostReports;
  /** Where a check run of the host at position p goes: the engine's log, or the columns of the fast path. */
  recordCheck(p: number, at: number, fails: boolean, latencyMs: number): void;
}

/** Visits every host of the rollout: its position in the host list, its fleet index and its ring. */
export type EachHost = (visit: (p: number, index: number, ring: number) => void) => void;

export function createRunContext(input: SimulationInput, stepping: Stepping): RunContext {
  const seed = input.seed >>> 0;
  const created = createRollout({
    id: `simulation-${seed}`,
    patch: { name: input.patch?.name ?? 'the patch', version: TARGET_VERSION, severity: input.patch?.severity ?? 'high' },
    hosts: input.fleet.hosts,
    rings: input.rings,
    now: SIMULATION_START,
  });
  const state = stepping.ownsState ? adoptRollout(created) : created;
  const run = contextAround(input, stepping, state, (visit) => state.hosts.forEach((host, p) => visit(p, indexOfHost(input.fleet, host.id), host.ring)));
  run.recordCheck = (p, at, fails, latencyMs) =>
    run.log.append(run.factory.observation(run.fleet.ids[run.hosts.indexAt[p]!]!, at, TARGET_VERSION, fails ? 'fail' : 'pass', latencyMs), p);
  return run;
}

/** The parts of a run around a state that is given (the engine's, or a shell of it whose hosts live in columns). */
export function contextAround(input: SimulationInput, stepping: Stepping, state: RolloutState, eachHost: EachHost): RunContext {
  const seed = input.seed >>> 0;
  const size = input.fleet.size;
  const hosts = new HostTable(size, state.rings.length);
  eachHost((p, i, ring) => {
    hosts.ringOf[p] = ring;
    hosts.position[i] = p;
    hosts.indexAt[p] = i;
  });
  const names = state.rings.map((r) => r.name);
  // Faults pick their hosts by fleet index, as they always have: the same hosts break under every plan.
  const faults = hostFaults(
    input.faults,
    size,
    () => input.fleet.hosts.map((host, index) => ({ index, labels: host.labels, ring: names[hosts.ringOf[hosts.position[index]!]!] ?? '' })),
    seed,
    hosts.position,
  );
  return {
    fleet: input.fleet,
    settings: input.settings,
    policy: input.policy,
    seed,
    intervalMs: input.checkIntervalMs,
    faults,
    hosts,
    queue: stepping.queue(),
    log: new ObservationLog(),
    factory: new ObservationFactory(),
    figures: new RunFigures(SIMULATION_START, size),
    clock: new ConsultClock(SIMULATION_START, Math.max(1, Math.round(input.settings.tickMs))),
    counters: { engineSteps: 0, consults: 0, hostEvents: 0, queueEvents: 0 },
    state,
    stepping,
    reported: new HostReports(),
    recordCheck: () => {},
  };
}

/**
 * The run's latest state. A command or a rollback that copied the host list hands back a list the
 * engine would copy again at every transition: owned once more (one copy), it is edited in place.
 */
export function keepState(run: RunContext, state: RolloutState): void {
  run.state = run.stepping.ownsState ? ownRollout(state) : state;
}
