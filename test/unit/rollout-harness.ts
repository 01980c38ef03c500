/*
 * A model fleet for driving the pure rollout engine in tests: it plays the fleet driver (finishes
 * patches and rollbacks, reports host events) and the check runner (one HTTP check per host per
 * tick, with a latency), and keeps its own record of what every host really runs, so tests can
 * hold the engine's bookkeeping against the fleet's truth.
 */
import { approve } from '../../rollout/engine/commands.ts';
import type { Decision } from '../../rollout/engine/decision.ts';
import { decide } from '../../rollout/engine/engine.ts';
import assert from 'node:assert/strict';
import { ringHealth } from '../../rollout/engine/health.ts';
import { ObservationLog } from '../../rollout/engine/observation-log.ts';
import { indexObservations, type Observation } from '../../rollout/engine/observations.ts';
import type { FleetHost, RingSpec } from '../../rollout/engine/plan.ts';
import type { RolloutPolicy, Severity } from '../../rollout/engine/policy.ts';
import { createRollout, hostsInFlight, type RolloutState } from '../../rollout/engine/state.ts';
import { apply, applyHostEvents, type HostEvent } from '../../rollout/engine/transitions.ts';

export const BASE_VERSION = '3.0.13-1~deb12u1';
export const NEW_VERSION = '3.0.15-1~deb12u1';
export const CHECK = 'http:http://localhost/healthz';
export const T0 = Date.UTC(2025, 0, 14, 9, 0);
export const MINUTE = 60_000;

/**
 * good: passes everywhere. bad: fails every check once patched. flaky: fails its first check
 * after the patch, then passes. flapping: fails every other check once patched. slow: passes,
 * 50 % slower once patched. patch-fails: the package manager fails, the host keeps its old version.
 */
export type Behaviour = 'good' | 'bad' | 'flaky' | 'flapping' | 'slow' | 'patch-fails';

export interface ModelLab {
  state: RolloutState;
  now: number;
  observations: Observation[];
  /** What each host really runs, as the fleet would answer if asked. */
  versions: Map<string, string>;
  behaviour: (hostId: string) => Behaviour;
  checksSincePatch: Map<string, number>;
  random: () => number;
  decisions: Decision[];
}

export function fleetOf(size: number, labels: (i: number) => Record<string, string> = () => ({})): FleetHost[] {
  return Array.from({ length: size }, (_, i) => ({ id: `web-${String(i + 1).padStart(3, '0')}`, labels: labels(i), version: BASE_VERSION }));
}

/** A model lab of one host per behaviour, in order, with an empty ObservationLog to copy its checks to. */
export function labWithLog(behaviours: readonly Behaviour[], rings: readonly RingSpec[], seed: number): { lab: ModelLab; log: ObservationLog } {
  const hosts = fleetOf(behaviours.length);
  const lab = modelLab({ hosts, rings, behaviour: Object.fromEntries(hosts.map((h, i) => [h.id, behaviours[i] ?? 'good'])), seed });
  return { lab, log: new ObservationLog() };
}

export function modelLab(options: {
  hosts: FleetHost[];
  rings: readonly RingSpec[];
  behaviour?: Record<string, Behaviour>;
  severity?: Severity;
  seed?: number;
}): ModelLab {
  const state = createRollout({
    id: 'rollout-1',
    patch: { name: 'openssl', version: NEW_VERSION, severity: options.severity ?? 'high' },
    hosts: options.hosts,
    rings: options.rings,
    now: T0,
  });
  return {
    state,
    now: T0,
    observations: [],
    versions: new Map(options.hosts.map((h) => [h.id, h.version])),
    behaviour: (id) => options.behaviour?.[id] ?? 'good',
    checksSincePatch: new Map(),
    random: mulberry32(options.seed ?? 1),
    decisions: [],
  };
}

/**
 * The driver finishes the work in flight: every host, or those `finishes` picks. `positionOf`, when
 * given, says where each host is in the state's host list, as a driver that knows may tell the engine.
 */
export function finishInFlight(lab: ModelLab, finishes: (hostId: string) => boolean = () => true, positionOf?: (hostId: string) => number): void {
  const events: HostEvent[] = [];
  for (const host of hostsInFlight(lab.state)) {
    if (!finishes(host.id)) continue;
    if (host.phase === 'rolling-back') {
      lab.versions.set(host.id, host.baseVersion);
      events.push({ type: 'rolled-back', hostId: host.id, version: host.baseVersion });
    } else if (lab.behaviour(host.id) === 'patch-fails') {
      events.push({ type: 'patch-failed', hostId: host.id, version: lab.versions.get(host.id) ?? BASE_VERSION, reason: 'dpkg: error processing package openssl' });
    } else {
      lab.versions.set(host.id, NEW_VERSION);
      lab.checksSincePatch.set(host.id, 0);
      events.push({ type: 'patched', hostId: host.id, version: NEW_VERSION });
    }
  }
  lab.state = applyHostEvents(lab.state, events, lab.now, positionOf ? events.map((e) => positionOf(e.hostId)) : undefined);
}

/** One run of the HTTP check on every host that answers. */
export function runChecks(lab: ModelLab): void {
  for (const [hostId, version] of lab.versions) {
    const patched = version === NEW_VERSION;
    const behaviour = lab.behaviour(hostId);
    const checks = lab.checksSincePatch.get(hostId) ?? 0;
    if (patched) lab.checksSincePatch.set(hostId, checks + 1);
    const fails = patched && (behaviour === 'bad' || (behaviour === 'flaky' && checks === 0) || (behaviour === 'flapping' && checks % 2 === 0));
    const latencyMs = (patched && behaviour === 'slow' ? 150 : 100) + 20 * lab.random();
    lab.observations.push({ hostId, at: lab.now, version, checks: [{ id: CHECK, status: fails ? 'fail' : 'pass', metrics: { latencyMs } }] });
  }
}

/** One tick: time passes, the driver reports, the checks run, the engine decides and its decision is applied. */
export function tick(lab: ModelLab, policy: RolloutPolicy, stepMs: number): Decision {
  lab.now += stepMs;
  finishInFlight(lab);
  runChecks(lab);
  const decision = decide(lab.state, lab.observations, lab.now, policy);
  lab.state = apply(lab.state, decision, lab.now);
  lab.decisions.push(decision);
  return decision;
}

/**
 * Every ring's health and the decision judged on `log` (holding the lab's observations) must be
 * exactly what a full pass over a plain index gives; the decision is then applied. True once
 * the rollout has ended.
 */
export function decideOnLogAsFullPass(lab: ModelLab, log: ObservationLog, policy: RolloutPolicy): boolean {
  const plain = indexObservations(lab.observations);
  for (let ring = 0; ring < lab.state.rings.length; ring++) {
    assert.deepEqual(ringHealth(lab.state, ring, log, lab.now, policy), ringHealth(lab.state, ring, plain, lab.now, policy), `ring ${ring} at ${lab.now}`);
  }
  const decision = decide(lab.state, log, lab.now, policy);
  assert.deepEqual(decision, decide(lab.state, lab.observations, lab.now, policy));
  lab.state = apply(lab.state, decision, lab.now);
  return lab.state.phase === 'rolled-back' || lab.state.phase === 'completed';
}

/** Ticks until the rollout completes or is rolled back, approving rings as the approver if one is named. */
export function runToEnd(lab: ModelLab, policy: RolloutPolicy, options: { stepMs?: number; maxTicks?: number; approver?: string } = {}): ModelLab {
  const { stepMs = 5 * MINUTE, maxTicks = 1000, approver } = options;
  for (let i = 0; i < maxTicks && lab.state.phase !== 'completed' && lab.state.phase !== 'rolled-back'; i++) {
    const decision = tick(lab, policy, stepMs);
    if (decision.action === 'await-approval' && approver) {
      const ring = lab.state.rings[decision.ring]?.name ?? '';
      lab.state = approve(lab.state, { actor: approver, reason: 'change ticket CHG-1234', ring }, lab.now);
    }
  }
  return lab;
}

export function actions(lab: ModelLab): string[] {
  return lab.decisions.map((d) => d.action);
}

/** A small seeded generator, so latencies are random yet every run is the same. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
