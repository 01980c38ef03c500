import Docker from 'dockerode';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../lab/config/paths.ts';
import { RUN_LABEL } from '../../lab/hosts/labels.ts';
import type { Decision } from '../../rollout/decision.ts';
import { runScenario } from '../../rollout/scenario-run.ts';
import type { RolloutState } from '../../rollout/state.ts';
import { openStore } from '../../rollout/store/sqlite-store.ts';
import type { Store } from '../../rollout/store/store.ts';

/*
 * Every scenario shipped in scenarios/ run as `patchlab rollout start` runs it, on real
 * containers, to the decision it is meant to end in. A new scenario without an expectation here
 * fails the suite, so none ships untested.
 */
interface Ending {
  phase: RolloutState['phase'];
  /** The ring whose decision ended the rollout. */
  ring: string;
  also?: (state: RolloutState, decisions: Decision[]) => void;
}

const decided = (decisions: Decision[], action: Decision['action']) => decisions.filter((d) => d.action === action);

const ENDINGS: Record<string, Ending> = {
  'demo.yaml': { phase: 'completed', ring: 'broad' },
  'good-security-patch.yaml': {
    phase: 'completed',
    ring: 'broad',
    also: (_state, decisions) => {
      // Critical: the policy cut every soak (20 s, 20 s, 8 s) to a quarter.
      const judged = decisions.filter((d) => d.action === 'promote' || d.action === 'complete');
      expect(judged.map((d) => d.figures.soakMs)).toEqual([5_000, 5_000, 2_000]);
    },
  },
  'bad-patch-canary.yaml': {
    phase: 'rolled-back',
    ring: 'canary',
    also: (state, decisions) => {
      expect(decided(decisions, 'promote')).toEqual([]);
      expect(state.hosts.filter((h) => h.ring > 0).every((h) => h.phase === 'pending')).toBe(true);
    },
  },
  'latency-regression-pilot.yaml': {
    phase: 'rolled-back',
    ring: 'pilot',
    also: (_state, decisions) => {
      const rollback = decided(decisions, 'rollback')[0];
      expect(rollback?.reasons.join(' ')).toMatch(/slower on patched hosts.*Mann-Whitney/);
      // Caught by the statistics, not by a failed check.
      expect(rollback?.figures['pilot.failed']).toBe(0);
    },
  },
  'flaky-host.yaml': {
    phase: 'completed',
    ring: 'broad',
    also: (_state, decisions) => {
      expect(decided(decisions, 'rollback')).toEqual([]);
      expect(decisions.flatMap((d) => d.reasons).join(' ')).toMatch(/flak|flap/i);
    },
  },
};

const shipped = readdirSync(join(projectRoot, 'scenarios')).filter((f) => f.endsWith('.yaml')).sort();

describe('every shipped scenario ends in the decision it is meant to', () => {
  let home: string;
  let store: Store;

  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), 'patchlab-scenarios-'));
    store = openStore(join(home, 'patchlab.db'));
  });

  it('has an expected ending for each scenario file', () => {
    expect(shipped.filter((f) => !(f in ENDINGS))).toEqual([]);
  });

  for (const file of shipped) {
    const ending = ENDINGS[file];
    if (!ending) continue;
    it(`${file}: ${ending.phase} in ${ending.ring}`, async () => {
      const decisions: Decision[] = [];
      const final = await runScenario(join(projectRoot, 'scenarios', file), { store, onDecision: (d) => decisions.push(d) });
      expect(final.phase).toBe(ending.phase);
      const last = decisions.at(-1);
      expect(final.rings[last?.ring ?? -1]?.name).toBe(ending.ring);
      if (ending.phase === 'rolled-back') {
        expect(final.hosts.every((h) => h.version !== final.patch.version)).toBe(true);
      } else {
        expect(final.hosts.every((h) => h.phase === 'healthy' && h.version === final.patch.version)).toBe(true);
      }
      ending.also?.(final, decisions);
      // Every decision is in the store with its reasons, and the chart has its samples.
      const stored = (await store.transitions(final.id)).filter((t) => t.kind === 'decision');
      expect(stored.length).toBeGreaterThanOrEqual(decisions.length);
      expect((await store.healthSamples(final.id)).length).toBeGreaterThan(0);
      const left = await new Docker().listContainers({ all: true, filters: { label: [`${RUN_LABEL}=${final.id}`] } });
      expect(left).toEqual([]);
    }, 480_000);
  }

  afterAll(async () => {
    await store.close();
    rmSync(home, { recursive: true, force: true });
  });
});
