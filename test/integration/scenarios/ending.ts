import { loadScenario } from '../../../scenarios/load.ts';
import Docker from 'dockerode';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { projectRoot } from '../../../lab/config/paths.ts';
import { RUN_LABEL } from '../../../lab/hosts/labels.ts';
import { parsePatchArgs } from '../../../lab/patches/request.ts';
import type { Decision } from '../../../rollout/engine/decision.ts';
import { runRollout } from '../../../rollout/drive/run-rollout.ts';
import type { RolloutState } from '../../../rollout/engine/state.ts';
import { openStore } from '../../../rollout/store/sqlite-store.ts';

/*
 * A shipped scenario run as `patchlab rollout start` runs it, on real containers, to the decision
 * it is meant to end in. One file per scenario, so CI runs them side by side; a scenario without
 * its file fails test/unit/scenario-coverage.test.ts.
 */
export interface Ending {
  phase: RolloutState['phase'];
  /** The ring whose decision ended the rollout. */
  ring: string;
  also?: (state: RolloutState, decisions: Decision[]) => void;
}

export const decided = (decisions: Decision[], action: Decision['action']) => decisions.filter((d) => d.action === action);

export const SCENARIO_TIMEOUT_MS = 480_000;

/*
 * The scenarios' own patch is 'security': every pending security update of the day. On 2026-12-06
 * that was 16 packages, 9 s of apt on each host of an idle machine and 30 s or more on a loaded CI
 * machine, and the demo's 16 hosts no longer finished in 8 minutes. What these tests judge is the
 * rollout (rings, soaks, gates, faults, rollbacks), so they roll out one real pending update,
 * tzdata, as `rollout start --patch tzdata` would; its size does not follow Debian's publications.
 * The whole security set is installed and rolled back on real hosts by the lab-run tests.
 */
const SCENARIO_TEST_PATCH = parsePatchArgs(['tzdata']);

export async function expectEnding(file: string, ending: Ending): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'patchlab-scenario-'));
  const store = openStore(join(home, 'patchlab.db'));
  try {
    const decisions: Decision[] = [];
    const final = await runRollout(loadScenario(join(projectRoot, 'scenarios', file)), { store, patch: SCENARIO_TEST_PATCH, onDecision: (d) => decisions.push(d) });
    expect(final.phase).toBe(ending.phase);
    expect(final.rings[decisions.at(-1)?.ring ?? -1]?.name).toBe(ending.ring);
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
  } finally {
    await store.close();
    rmSync(home, { recursive: true, force: true });
  }
}
