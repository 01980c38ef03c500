import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { debianMirror } from '../../lab/config/mirror.ts';
import { DockerHostProvider } from '../../lab/hosts/docker-provider.ts';
import { RUN_LABEL } from '../../lab/hosts/labels.ts';
import { resolveImage, type ResolvedImage } from '../../lab/images/build.ts';
import { PackageCache } from '../../lab/patches/cache.ts';
import { parsePatchArgs } from '../../lab/patches/request.ts';
import { loadCheckSuite } from '../../lab/run/check-suite.ts';
import { ContainerFleet } from '../../rollout/fleets/container-fleet.ts';
import { preparePatch } from '../../rollout/fleets/prepare.ts';
import type { HostFault, PreparedPatch } from '../../rollout/fleets/prepared-patch.ts';
import type { RingSpec } from '../../rollout/plan.ts';
import { STANDARD_POLICY } from '../../rollout/policy.ts';
import { driveRollout, type RunnerStore } from '../../rollout/runner.ts';
import { createRollout, type RolloutState } from '../../rollout/state.ts';

const docker = new Docker();
const cache = new PackageCache();
const goss = new URL('../../lab/images/definitions/web/web.goss.yaml', import.meta.url).pathname;

/** Keeps every committed step, like the real store, so the test can read the whole history. */
class StepLog implements RunnerStore {
  steps: { kind: string; payload: unknown }[] = [];
  constructor(private state: RolloutState) {}
  async current() {
    return { state: this.state, seq: this.steps.length };
  }
  async commit(_id: string, step: { kind: string; payload: unknown }, after: RolloutState, expectedSeq: number) {
    if (expectedSeq !== this.steps.length) return false;
    this.steps.push(step);
    this.state = after;
    return true;
  }
}

const rings: RingSpec[] = [
  { name: 'canary', hosts: { count: 1 }, concurrency: { count: 1 }, failureBudget: { count: 0 }, soakMs: 2_000, requiresApproval: false, healthGate: { latency: false } },
  { name: 'pilot', hosts: { count: 2 }, concurrency: { count: 2 }, failureBudget: { count: 0 }, soakMs: 2_000, requiresApproval: false, healthGate: { latency: false } },
  { name: 'broad', hosts: 'rest', concurrency: { count: 3 }, failureBudget: { count: 0 }, soakMs: 0, requiresApproval: false, healthGate: { latency: false } },
];
const policy = { ...STANDARD_POLICY, checkTimeoutMs: 60_000 };

describe('a rollout on a real fleet of containers', () => {
  let image: ResolvedImage;
  let prepared: PreparedPatch;
  const runId = `rollout-test-${process.pid}`;

  beforeAll(async () => {
    image = await resolveImage('web');
    prepared = await preparePatch({
      runId,
      image: { name: 'web', tag: image.tag },
      request: parsePatchArgs(['tzdata']),
      provider: new DockerHostProvider(),
      cache,
      mirror: debianMirror('bookworm'),
      faults: { badPackage: true },
    });
  });

  async function rollOut(id: string, faults: Map<string, HostFault[]>) {
    const fleet = await ContainerFleet.provision({
      rolloutId: id,
      image,
      prepared,
      cache,
      checks: await loadCheckSuite([goss], { screenshotDir: '/tmp' }),
      faults,
      size: 5,
      namePrefix: 'web',
    });
    try {
      const state = createRollout({
        id,
        patch: { name: prepared.name, version: prepared.version, severity: 'high' },
        hosts: fleet.hosts(),
        rings,
        now: Date.now(),
      });
      const log = new StepLog(state);
      const final = await driveRollout(id, { store: log, fleet, policy, checkIntervalMs: 1_000 });
      const versions = await Promise.all(fleet.hosts().map(async (h) => h.version));
      return { final, log, versions };
    } finally {
      await fleet.close();
    }
  }

  it('brings a good patch through canary, pilot and broad to every host', async () => {
    const { final, log } = await rollOut(`${runId}-good`, new Map());
    expect(final.phase).toBe('completed');
    expect(final.hosts.every((h) => h.phase === 'healthy' && h.version === prepared.version)).toBe(true);
    const actions = log.steps.filter((s) => s.kind === 'decision').map((s) => (s.payload as { action: string }).action);
    expect(actions.filter((a) => a === 'promote')).toHaveLength(2);
    expect(actions.at(-1)).toBe('complete');
  }, 240_000);

  it('catches a package that breaks nginx in canary and rolls back; no host keeps the new version', async () => {
    const { final, log, versions } = await rollOut(`${runId}-bad`, new Map([['web-01', [{ kind: 'bad-package' }]], ['web-02', [{ kind: 'bad-package' }]], ['web-03', [{ kind: 'bad-package' }]], ['web-04', [{ kind: 'bad-package' }]], ['web-05', [{ kind: 'bad-package' }]]]));
    expect(final.phase).toBe('rolled-back');
    expect(versions.every((v) => v === prepared.baseVersion)).toBe(true);
    const decisions = log.steps.filter((s) => s.kind === 'decision').map((s) => s.payload as { action: string; ring: number; reasons: string[] });
    expect(decisions.some((d) => d.action === 'promote')).toBe(false);
    const rollback = decisions.find((d) => d.action === 'rollback');
    expect(rollback?.ring).toBe(0);
    expect(rollback?.reasons.join(' ')).toMatch(/canary/);
    // Only the canary was ever touched.
    expect(final.hosts.filter((h) => h.phase === 'rolled-back')).toHaveLength(1);
  }, 240_000);

  afterAll(async () => {
    const left = await docker.listContainers({ all: true, filters: { label: [RUN_LABEL] } });
    expect(left.filter((c) => c.Labels[RUN_LABEL]?.startsWith(runId))).toEqual([]);
  });
});
