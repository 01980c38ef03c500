import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { simulatedFleet } from '../../rollout/simulate/fleet-hosts.ts';
import { resolveSettings } from '../../rollout/simulate/settings.ts';
import { simulateRollout } from '../../rollout/simulate/simulation.ts';
import { loadScenario } from '../../scenarios/load.ts';
import { simulationFields } from '../../scenarios/simulate-schema.ts';

/** The shipped scenarios on a simulated fleet of their own size: the verdicts they promise for real containers. */
function simulateShipped(name: string) {
  const scenario = loadScenario(join(import.meta.dirname, '..', '..', 'scenarios', `${name}.yaml`));
  const hosts = scenario.fleet.hosts;
  const fleet = simulatedFleet(scenario.fleet, hosts, 'web');
  const result = simulateRollout({
    name,
    fleet,
    rings: scenario.rings,
    policy: scenario.policy,
    checkIntervalMs: scenario.checkIntervalMs,
    faults: scenario.faults,
    seed: scenario.fleet.simulate.seed,
    settings: resolveSettings(simulationFields(scenario.fleet.simulate), { hosts, checkIntervalMs: scenario.checkIntervalMs }),
  });
  return { scenario, fleet, result };
}

describe('shipped scenarios, simulated', () => {
  it('demo: every ring passes and the rollout completes', () => {
    const { scenario, result } = simulateShipped('demo');
    expect(result.outcome).toBe('completed');
    expect(result.timeline.map((e) => e.action)).toEqual([...scenario.rings.slice(1).map(() => 'promote'), 'complete']);
    expect(result.finalPatched).toBe(scenario.fleet.hosts);
  });

  it('bad-patch-canary: caught in canary and rolled back; no host beyond it touched', () => {
    const { result } = simulateShipped('bad-patch-canary');
    expect(result.outcome).toBe('rolled-back');
    expect(result.rollback?.ring).toBe('canary');
    expect(result.rollback?.reasons[0]).toMatch(/and again on re-check/);
    expect(result.startedBeforeRollback).toBeLessThanOrEqual(result.rings[0]!.hosts);
    expect(result.harmedHosts).toBe(result.rings[0]!.hosts);
  });

  it('flaky-host: the host that fails once is a flap, and the rollout completes', () => {
    const { result, fleet } = simulateShipped('flaky-host');
    expect(result.outcome).toBe('completed');
    const flaky = result.timeline.filter((e) => e.reasons[0]?.includes('flaky, cleared on re-check'));
    expect(flaky.map((e) => e.reasons[0]?.match(/cleared on re-check: ([^)]+)\)/)?.[1])).toEqual([fleet.ids[3]]);
  });

  it("latency-regression-pilot: the canary cannot tell, the pilot's latency gate rolls it back", () => {
    const { result } = simulateShipped('latency-regression-pilot');
    expect(result.outcome).toBe('rolled-back');
    expect(result.timeline.map((e) => `${e.action} ${e.ring}`)).toEqual(['promote canary', 'rollback pilot']);
    expect(result.rollback?.reasons[0]).toMatch(/^ring pilot: check simulated:healthz is slower on patched hosts, median \d+(\.\d)? ms against \d+(\.\d)? ms \(\+(1[5-9]\d|2\d\d) %\)/);
  });

  it('good-security-patch: the critical policy cuts every soak to a quarter', () => {
    const { scenario, result } = simulateShipped('good-security-patch');
    expect(result.outcome).toBe('completed');
    expect(result.rings.map((r) => r.soakMs)).toEqual(scenario.rings.map((r) => Math.round(r.soakMs / 4)));
  });
});
