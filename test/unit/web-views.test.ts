import { describe, expect, it } from 'vitest';
import { pause, promote, rollback } from '../../rollout/engine/commands.ts';
import type { HealthSample } from '../../rollout/store/rollout-store.ts';
import { availableActions } from '../../rollout/engine/commands.ts';
import { rolloutView, soakOf } from '../../web/model/rollout-view.ts';
import { duration, figure } from '../../web/views/format.ts';
import { downsample, healthChart } from '../../web/views/health-chart.ts';
import type { Viewer } from '../../web/views/layout.ts';
import { rolloutActions } from '../../web/views/rollout-actions.ts';
import { rolloutLive, rolloutPage } from '../../web/views/rollout-page.ts';
import { rolloutsTable } from '../../web/views/rollouts-page.ts';
import { timelineUpdate } from '../../web/views/timeline.ts';
import { MINUTE } from './rollout-harness.ts';
import { driveModel, WEB_POLICY } from './web-fixtures.ts';

/** The lease of the process that drives the rollout shown. */
const DRIVER = { rolloutId: 'r', owner: 'coordinator-1:4242:99', epoch: 3, expiresAt: Number.MAX_SAFE_INTEGER };

const manager: Viewer = { name: 'alice', role: 'release-manager', csrfToken: 'tok' };
const watcher: Viewer = { name: 'victor', role: 'viewer', csrfToken: 'tok2' };
const command = { actor: 'alice', reason: 'incident INC-7' };

/** Canary patched and soaking: the first point where a release manager can promote by hand. */
const soaking = () => driveModel((lab) => lab.state.rings[0]!.soakStartedAt !== null);

describe('rolloutView', () => {
  it('counts a soak from its start, less the time paused, as the engine does', () => {
    const { lab } = soaking();
    const start = lab.state.rings[0]!.soakStartedAt!;
    expect(soakOf(lab.state, WEB_POLICY, start + 10 * MINUTE)).toEqual({ totalMs: 30 * MINUTE, elapsedMs: 10 * MINUTE, leftMs: 20 * MINUTE });
    const paused = pause(lab.state, command, start + 10 * MINUTE);
    // Five minutes into the pause the soak has not moved.
    expect(soakOf(paused, WEB_POLICY, start + 15 * MINUTE)?.leftMs).toBe(20 * MINUTE);
  });

  it('offers promotion once the current ring is fully patched, and approval for a ring that needs it', () => {
    const { lab } = soaking();
    expect(availableActions(lab.state)).toEqual({ pause: true, resume: false, rollback: true, promoteTo: 'pilot', approve: ['pilot'], 'override-age': false });
    const paused = pause(lab.state, command, lab.now);
    expect(availableActions(paused)).toMatchObject({ pause: false, resume: true });
    const rolling = rollback(lab.state, command, lab.now);
    expect(availableActions(rolling)).toEqual({ pause: false, resume: false, rollback: false, promoteTo: null, approve: [], 'override-age': false });
  });

  it('offers no promotion while the current ring still has hosts to patch', () => {
    const { lab } = driveModel((l) => l.state.hosts.some((h) => h.phase === 'patching'));
    expect(availableActions(lab.state).promoteTo).toBeNull();
  });

  it('gives each ring the status, counts and health the engine sees', () => {
    const { lab } = driveModel((l) => l.state.phase === 'awaiting-approval', { approve: false });
    const view = rolloutView(lab.state, WEB_POLICY, lab.observations, lab.now);
    expect(view.rings.map((r) => r.status)).toEqual(['promoted', 'awaiting-approval', 'waiting']);
    expect(view.rings[0]).toMatchObject({ size: 1, counts: { healthy: 1, pending: 0 }, health: { passRate: 1, patched: 1 } });
    expect(view.rings[2]?.health).toBeNull();
    expect(view.progress).toEqual({ onTarget: 1, total: 8 });
    expect(view.hosts.find((h) => h.phase === 'healthy')?.lastCheck?.failing).toEqual([]);
    expect(view.finished).toBe(false);
  });
});

describe('health chart', () => {
  const sample = (at: number, ring: string, passRate: number | null, failed = 0, budget = 0): HealthSample => ({ at, ring, passRate, failed, budget, latencyP50: null });

  it('draws one line per ring and marks failures and budget breaches', () => {
    const svg = healthChart(
      [sample(0, 'canary', 1), sample(1000, 'canary', 1), sample(2000, 'canary', 0.5, 1, 0), sample(1000, 'pilot', null), sample(2000, 'pilot', 1), sample(3000, 'pilot', 0.5, 1, 1)],
      ['canary', 'pilot'],
    ).value;
    expect(svg.match(/<path class="line ring-0"/g)).toHaveLength(1);
    // Pilot's first sample has no pass rate: its line starts at its second, and holds level until its third says otherwise.
    expect(svg.match(/<path class="line ring-1" d="M[\d.]+ [\d.]+ H[\d.]+ V[\d.]+"/g)).toHaveLength(1);
    expect(svg.match(/class="breach"/g)).toHaveLength(1);
    expect(svg.match(/class="failure"/g)).toHaveLength(1);
    expect(svg).toContain('aria-label="Pass rate per ring over 3 s: canary 50 %, pilot 50 %"');
  });

  it('draws steps, keeps rings at the same rate apart, and labels the axis with times of day', () => {
    const t0 = Date.UTC(2026, 11, 7, 9, 0, 0);
    const svg = healthChart([sample(t0, 'canary', 1), sample(t0 + 2000, 'canary', 0.5, 1, 1), sample(t0, 'pilot', 1), sample(t0 + 2000, 'pilot', 1)], ['canary', 'pilot']).value;
    const paths = [...svg.matchAll(/<path class="line ring-\d" d="([^"]+)"/g)].map((m) => m[1]!);
    // Level until the next sample, then straight down: never a slope.
    expect(paths.every((d) => /^M[\d.]+ [\d.]+( H[\d.]+ V[\d.]+)+$/.test(d))).toBe(true);
    // Both at 100 % at first, yet not on the same pixels.
    const startY = paths.map((d) => /^M[\d.]+ ([\d.]+)/.exec(d)![1]);
    expect(new Set(startY).size).toBe(2);
    expect([...svg.matchAll(/<text class="axis time"[^>]*>([^<]+)</g)].map((m) => m[1])).toEqual(['09:00:00', '09:00:01', '09:00:02 UTC']);
  });

  it('says so when there is nothing to draw yet', () => {
    expect(healthChart([], ['canary']).value).toContain('No health samples yet');
  });

  it('keeps the worst point of each bucket when thinning, so a dip survives', () => {
    const samples = Array.from({ length: 1000 }, (_, i) => sample(i * 1000, 'broad', i === 500 ? 0.2 : 1, i === 500 ? 3 : 0, 2));
    const points = downsample(samples, 50, 0, 999_000);
    expect(points.length).toBeLessThanOrEqual(50);
    expect(points.some((p) => p.passRate === 0.2 && p.failed === 3)).toBe(true);
  });
});

describe('rollout page', () => {
  it('escapes a script in the scenario name, the reasons and the actor', () => {
    const { lab, samples } = soaking();
    const state = promote(lab.state, { actor: 'mallory<img src=x onerror=alert(1)>', reason: '<script>alert(2)</script>', ring: 'pilot' }, lab.now);
    const view = rolloutView(state, WEB_POLICY, lab.observations, lab.now);
    const page = rolloutPage({ view, scenario: 'scenarios/<script>alert(3)</script>.yaml', driver: DRIVER, samples, now: lab.now, pollMs: 2000 }, manager).value;
    expect(page).not.toMatch(/<script>alert|<img src=x/);
    expect(page).toContain('scenarios/&lt;script&gt;alert(3)&lt;/script&gt;.yaml');
    expect(page).toContain('&lt;script&gt;alert(2)&lt;/script&gt;');
    expect(page).toContain('mallory&lt;img src=x onerror=alert(1)&gt;');
  });

  it('shows a viewer the rollout without a form to change it', () => {
    const { lab, samples } = soaking();
    const view = rolloutView(lab.state, WEB_POLICY, lab.observations, lab.now);
    const forViewer = rolloutLive({ view, scenario: 's', driver: DRIVER, samples, now: lab.now, pollMs: 2000 }, watcher).value;
    expect(forViewer).not.toContain('<form');
    expect(forViewer).toContain('needs the release manager role');
    const forManager = rolloutLive({ view, scenario: 's', driver: DRIVER, samples, now: lab.now, pollMs: 2000 }, manager).value;
    expect(forManager).toContain('name="_csrf" value="tok"');
    expect(forManager).toContain('value="promote:pilot"');
    expect(forManager).toContain('value="approve:pilot"');
  });

  it('says when no process drives an unfinished rollout, and how to drive it again', () => {
    const { lab, samples } = soaking();
    const view = rolloutView(lab.state, WEB_POLICY, lab.observations, lab.now);
    const undriven = rolloutLive({ view, scenario: 'scenarios/demo.yaml', samples, now: lab.now, pollMs: 2000 }, manager).value;
    expect(undriven).toContain('No patchlab process drives this rollout');
    expect(undriven).toContain(`patchlab rollout start scenarios/demo.yaml --id ${lab.state.id}`);
    const driven = rolloutLive({ view, scenario: 'scenarios/demo.yaml', driver: DRIVER, samples, now: lab.now, pollMs: 2000 }, manager).value;
    expect(driven).not.toContain('No patchlab process');
    expect(driven).toContain('Driven by patchlab process 4242 on coordinator-1 (lease epoch 3).');
    const done = driveModel((l) => l.state.phase === 'completed');
    const finished = rolloutView(done.lab.state, WEB_POLICY, done.lab.observations, done.lab.now);
    expect(rolloutLive({ view: finished, scenario: 's', samples, now: done.lab.now, pollMs: 2000 }, manager).value).not.toContain('No patchlab process');
  });

  it('puts a refused reason back in the field, escaped', () => {
    const { lab } = soaking();
    const out = rolloutActions(lab.state, manager, { reason: '</textarea><script>x</script>' }).value;
    expect(out).toContain('&lt;/textarea&gt;&lt;script&gt;x&lt;/script&gt;</textarea>');
  });

  it('stops polling once nothing more can happen', () => {
    const { lab, samples } = driveModel((l) => l.state.phase === 'completed');
    const view = rolloutView(lab.state, WEB_POLICY, lab.observations, lab.now);
    expect(view.finished).toBe(true);
    const page = rolloutPage({ view, scenario: 's', driver: DRIVER, samples, now: lab.now, pollMs: 2000 }, manager).value;
    expect(page).not.toContain('hx-trigger');
    const running = soaking();
    const live = rolloutPage({ view: rolloutView(running.lab.state, WEB_POLICY, running.lab.observations, running.lab.now), scenario: 's', driver: DRIVER, samples, now: running.lab.now, pollMs: 1500 }, manager).value;
    expect(live.match(/hx-trigger="every 1500ms/g)).toHaveLength(2);
  });
});

describe('timeline update', () => {
  it('sends only the entries the page has not shown, newest first, with a cursor past them', () => {
    const { lab } = soaking();
    const state = pause(lab.state, command, lab.now);
    const seen = lab.state.audit.length;
    const update = timelineUpdate(state, seen, 2000, true).value;
    expect(update).toContain(`?after=${state.audit.length}"`);
    expect(update.match(/<li class="entry/g)).toHaveLength(1);
    expect(update).toContain(`id="audit-${seen}"`);
    expect(update).toContain('incident INC-7');
    // Nothing new: the cursor alone.
    expect(timelineUpdate(state, state.audit.length, 2000, true).value).not.toContain('hx-partial');
  });

  it('renders an entry written otherwise under the same rollout id anew, not as it rendered the first', () => {
    const { lab } = soaking();
    const first = pause(lab.state, command, lab.now);
    const other = pause(lab.state, { ...command, reason: 'change CHG-9' }, lab.now);
    const at = lab.state.audit.length;
    expect(timelineUpdate(first, at, 2000, true).value).toContain('incident INC-7');
    const update = timelineUpdate(other, at, 2000, true).value;
    expect(update).toContain('change CHG-9');
    expect(update).not.toContain('incident INC-7');
  });
});

describe('rollouts table', () => {
  it('escapes what the store holds and links each rollout by its encoded id', () => {
    const out = rolloutsTable(
      [{ id: 'r/1?', scenario: '<b>x</b>', phase: 'running', ring: 'canary', patch: { name: 'tzdata', version: '1', severity: 'high' }, createdAt: 0, updatedAt: 0, seq: 1, ageWaitUntil: null, policyChoice: null }],
      1000,
      2000,
    ).value;
    expect(out).toContain('href="/rollouts/r%2F1%3F"');
    expect(out).toContain('&lt;b&gt;x&lt;/b&gt;');
  });
});

describe('format', () => {
  it('writes durations and figures briefly', () => {
    expect([duration(400), duration(2_000), duration(59_000), duration(61_000), duration(3_600_000), duration(3_660_000)]).toEqual(['0.4 s', '2 s', '59 s', '1 min 1 s', '1 h', '1 h 1 min']);
    expect([figure(0.123456), figure(1e-10), figure(0.5), figure(true), figure(null), figure(3)]).toEqual(['0.1235', '1.000e-10', '0.5', 'yes', '–', '3']);
  });
});
