import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { InputError } from '../../lab/config/validation.ts';
import { resolveSettings } from '../../rollout/simulate/settings.ts';
import { parseScenario } from '../../scenarios/load.ts';
import { simulationFields } from '../../scenarios/simulate-schema.ts';

const dir = mkdtempSync(join(tmpdir(), 'patchlab-simulate-'));
const file = join(dir, 'sim.yaml');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function scenario(simulate: Record<string, unknown>) {
  return parseScenario(stringify({ name: 'sim', image: 'web', patch: 'security', fleet: { hosts: 16, simulate } }), file);
}

function problem(simulate: Record<string, unknown>): string {
  try {
    scenario(simulate);
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as Error).message;
  }
  throw new Error('expected an InputError');
}

describe('fleet.simulate in a scenario', () => {
  it('reads how the simulated world behaves, durations in ms', () => {
    const loaded = scenario({
      hosts: 5000,
      seed: 3,
      patchDuration: '90s',
      patchSpread: 0.25,
      rollbackDuration: '30s',
      checkLatency: 80,
      latencySpread: 0.1,
      tick: '5m',
      patchTimeout: '20m',
      releaseManager: { approveAfter: '2h', respondAfter: '0s', onPause: 'rollback' },
    });
    expect(loaded.fleet.simulate).toMatchObject({ hosts: 5000, seed: 3 });
    expect(simulationFields(loaded.fleet.simulate)).toEqual({
      patchDuration: 90_000,
      patchSpread: 0.25,
      rollbackDuration: 30_000,
      checkLatency: 80,
      latencySpread: 0.1,
      tick: 300_000,
      patchTimeout: 1_200_000,
      releaseManager: { approveAfter: 7_200_000, respondAfter: 0, onPause: 'rollback' },
    });
  });

  it('names the file, the field and what was expected', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ patchDuration: '2 minutes' }, /fleet\.simulate\.patchDuration: expected a duration such as 30s, 5m, 1h or 24h .*above 0.*, got "2 minutes"/],
      [{ patchDuration: '0s' }, /fleet\.simulate\.patchDuration: expected a duration .*above 0/],
      [{ patchSpread: 4 }, /fleet\.simulate\.patchSpread: expected a spread such as 0\.5: a number from 0 to 3/],
      [{ checkLatency: 'fast' }, /fleet\.simulate\.checkLatency: expected milliseconds such as 100: a number from 0\.1 to 60000/],
      [{ releaseManager: { onPause: 'panic' } }, /fleet\.simulate\.releaseManager\.onPause: expected resume or rollback/],
      [{ releaseManager: { approveAfterr: '1h' } }, /fleet\.simulate\.releaseManager: unknown key "approveAfterr"; expected only approveAfter, respondAfter, onPause/],
      [{ releaseManager: 'soon' }, /fleet\.simulate\.releaseManager: expected a mapping \(keys: approveAfter, respondAfter, onPause\)/],
      [{ ticks: '1m' }, /fleet\.simulate: unknown key "ticks"; expected only hosts, seed, patchDuration/],
    ];
    for (const [simulate, expected] of cases) {
      const message = problem(simulate);
      expect(message).toContain(file);
      expect(message).toMatch(expected);
    }
  });
});

describe('simulation settings', () => {
  it('fills every default in, and the tick follows the check interval on a small fleet', () => {
    const small = resolveSettings({}, { hosts: 500, checkIntervalMs: 2_000 });
    expect(small).toEqual({
      patchMedianMs: 120_000,
      patchSpread: 0.5,
      rollbackMedianMs: 60_000,
      checkLatencyMs: 100,
      latencySpread: 0.2,
      tickMs: 2_000,
      patchTimeoutMs: 900_000,
      releaseManager: { approveAfterMs: 1_800_000, respondAfterMs: 1_800_000, onPause: 'resume' },
      latencySampleBudget: 20_000,
      maxSteps: null,
      horizonMs: 365 * 86_400_000,
    });
  });

  it('decides at most once a minute from ten thousand hosts on, unless told otherwise', () => {
    expect(resolveSettings({}, { hosts: 10_000, checkIntervalMs: 2_000 }).tickMs).toBe(60_000);
    expect(resolveSettings({}, { hosts: 10_000, checkIntervalMs: 300_000 }).tickMs).toBe(300_000);
    expect(resolveSettings({ tick: 10_000 }, { hosts: 100_000, checkIntervalMs: 2_000 }).tickMs).toBe(10_000);
    expect(resolveSettings({ tick: 10_000 }, { hosts: 100_000, checkIntervalMs: 2_000 }, { tickMs: 5_000, maxSteps: 7 })).toMatchObject({ tickMs: 5_000, maxSteps: 7 });
  });
});
