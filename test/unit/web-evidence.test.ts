import { describe, expect, it } from 'vitest';
import type { CheckResult } from '../../lab/checks/types.ts';
import { rollback } from '../../rollout/engine/commands.ts';
import { evidenceOf, EVIDENCE_MAX_CHARS } from '../../rollout/fleets/containers/container-fleet.ts';
import { hostEvidence, splitMessage } from '../../web/model/host-evidence.ts';
import { judgeHost } from '../../rollout/engine/host-verdict.ts';
import { rolloutView } from '../../web/model/rollout-view.ts';
import { hostGrid } from '../../web/views/host-grid.ts';
import { BASE_VERSION, CHECK, fleetOf, MINUTE, modelLab, NEW_VERSION, tick } from './rollout-harness.ts';
import { driveModel, WEB_POLICY, WEB_RINGS } from './web-fixtures.ts';

/*
 * Why a host failed, as the rollout page shows it: the evidence the fleet keeps with each
 * observation, split into expected and got, and ring figures that agree with the rollback's.
 */

const result = (status: CheckResult['status'], message: string, output?: string): CheckResult => ({
  id: 'command:nginx -t',
  kind: 'command',
  name: 'command nginx -t',
  status,
  message,
  durationMs: 30,
  ...(output !== undefined ? { evidence: { output } } : {}),
});

describe('the evidence an observation keeps', () => {
  it('keeps the message and a shortened output of a check that did not pass, and nothing of a pass', () => {
    expect(evidenceOf(result('pass', '', 'nginx: configuration file /etc/nginx/nginx.conf test is successful'))).toEqual({});
    const failed = evidenceOf(result('fail', 'exit-status: expected 0, got 1', `nginx: [emerg] unknown directive\n${'x'.repeat(2000)}`));
    expect(failed.message).toBe('exit-status: expected 0, got 1');
    expect(failed.output).toHaveLength(EVIDENCE_MAX_CHARS);
    expect(failed.output).toMatch(/^nginx: \[emerg\] unknown directive\nx+…$/);
    expect(evidenceOf(result('error', 'web-01: command nginx -t could not be judged: timed out'))).toEqual({ message: 'web-01: command nginx -t could not be judged: timed out' });
  });

  it('splits a message into what was expected and what came back', () => {
    expect(splitMessage('status: expected 200, got 502; body: expected to contain "ok", got "Bad Gateway"; could not read headers')).toEqual({
      expectations: [
        { attribute: 'status', expected: '200', got: '502' },
        { attribute: 'body', expected: 'to contain "ok"', got: '"Bad Gateway"' },
      ],
      notes: ['could not read headers'],
    });
  });
});

describe('a failed host on the page', () => {
  const failedHost = { id: 'web-001', ring: 0, phase: 'failed' as const, baseVersion: BASE_VERSION, version: NEW_VERSION, patchStartedAt: 0, patchedAt: 1000, failure: { reason: 'failed x', at: 5000, acceptedBy: null } };
  const observation = (at: number, status: 'pass' | 'fail') => ({
    hostId: 'web-001',
    at,
    version: NEW_VERSION,
    checks: [{ id: CHECK, status, ...(status === 'fail' ? { message: 'status: expected 200, got 502', output: '<html>502 Bad Gateway</html>' } : {}) }],
  });

  it('shows the failing run that failed it, with its evidence; a host that recovered shows none', () => {
    const evidence = hostEvidence(failedHost, [observation(2000, 'fail'), observation(3000, 'fail')], NEW_VERSION);
    expect(evidence).toEqual({ at: 3000, version: NEW_VERSION, checks: [{ id: CHECK, status: 'fail', expectations: [{ attribute: 'status', expected: '200', got: '502' }], notes: [], output: '<html>502 Bad Gateway</html>' }], newest: null });
    const recovered = { ...failedHost, phase: 'healthy' as const, failure: null };
    expect(hostEvidence(recovered, [observation(2000, 'fail'), observation(3000, 'pass')], NEW_VERSION)).toBeNull();
    // A suspect: its latest run failed, and the page says why before the re-check.
    expect(hostEvidence(recovered, [observation(2000, 'pass'), observation(3000, 'fail')], NEW_VERSION)?.at).toBe(3000);
  });

  it('shows the run the failure\'s reason names, and the newest failing run beside it when its re-check failed other checks', () => {
    const run = (at: number, failing: Record<string, string>) => ({
      hostId: 'web-001',
      at,
      version: NEW_VERSION,
      checks: ['nginx -t', 'http /healthz', 'port 80'].map((id) =>
        failing[id] === undefined ? { id, status: 'pass' as const } : { id, status: 'fail' as const, message: failing[id], output: `${id} at ${at}` },
      ),
    });
    const patched = { id: 'web-001', ring: 0, phase: 'healthy' as const, baseVersion: BASE_VERSION, version: NEW_VERSION, patchStartedAt: 0, patchedAt: 1000, failure: null };
    // The suspect run fails nginx -t and the port; its re-check fails /healthz alone; then one more run.
    const history = [run(2000, {}), run(3000, { 'nginx -t': 'exit-status: expected 0, got 1', 'port 80': 'listening: expected true, got false' }), run(4000, { 'http /healthz': 'status: expected 200, got 502' })];
    const verdict = judgeHost(patched, history, NEW_VERSION, 4500, WEB_POLICY);
    expect(verdict).toEqual({ kind: 'failed', reason: 'failed nginx -t, port 80, and again on re-check' });
    const failed = { ...patched, phase: 'failed' as const, failure: { reason: verdict.kind === 'failed' ? verdict.reason : '', at: 4500, acceptedBy: null } };
    const later = [...history, run(5000, { 'http /healthz': 'status: expected 200, got 503' })];

    const evidence = hostEvidence(failed, later, NEW_VERSION)!;
    expect([evidence.at, evidence.checks.map((c) => c.id)]).toEqual([3000, ['nginx -t', 'port 80']]);
    expect([evidence.newest?.at, evidence.newest?.checks.map((c) => [c.id, c.expectations[0]?.got])]).toEqual([5000, [['http /healthz', '503']]]);
    // Without a later run the re-check is the newest failing run.
    expect(hostEvidence(failed, history, NEW_VERSION)?.newest?.at).toBe(4000);
    // A re-check that failed the same way is not shown again.
    const same = [run(3000, { 'nginx -t': 'exit-status: expected 0, got 1' }), run(4000, { 'nginx -t': 'exit-status: expected 0, got 1' })].map((o) => ({ ...o, checks: o.checks.map((c) => ({ ...c, output: c.status === 'fail' ? 'nginx: [emerg]' : undefined })) }));
    const again = { ...failed, failure: { ...failed.failure, reason: 'failed nginx -t, and again on re-check' } };
    expect(hostEvidence(again, same, NEW_VERSION)).toMatchObject({ at: 3000, newest: null });

    const { state } = modelLab({ hosts: fleetOf(8), rings: WEB_RINGS });
    const view = rolloutView({ ...state, hosts: state.hosts.map((h) => (h.id === failed.id ? { ...failed, ring: h.ring } : h)) }, WEB_POLICY, later, 6000);
    const tile = hostGrid(view.rings, view.hosts, NEW_VERSION, 6000).value;
    // The reason's list of checks is cut to their number, as the evidence names each of those it names.
    expect(tile).toContain('<div class="failure">failed 2 checks, and again on re-check</div>');
    const [named, newest] = tile.split('<div class="evidence-newest">') as [string, string];
    expect(named).toMatch(/Failed checks at <time datetime="1970-01-01T00:00:03.000Z"[^>]*>00:00:03<\/time> on/);
    expect([...named.matchAll(/data-check="([^"]+)"/g)].map((m) => m[1])).toEqual(['nginx -t', 'port 80']);
    expect(newest).toMatch(/Newest failing run at <time datetime="1970-01-01T00:00:05.000Z"/);
    expect([...newest.matchAll(/data-check="([^"]+)"/g)].map((m) => m[1])).toEqual(['http /healthz']);
    expect(newest).toContain('<code class="got">503</code>');
  });

  it('shows the run a failure not re-checked in time names, and the newest run of a failure whose reason names none', () => {
    const run = (at: number, failing: string[]) => ({ hostId: 'web-001', at, version: NEW_VERSION, checks: ['a', 'b'].map((id) => ({ id, status: failing.includes(id) ? ('fail' as const) : ('pass' as const) })) });
    const host = (reason: string) => ({ id: 'web-001', ring: 0, phase: 'failed' as const, baseVersion: BASE_VERSION, version: NEW_VERSION, patchStartedAt: 0, patchedAt: 1000, failure: { reason, at: 30_000, acceptedBy: null } });
    const history = [run(2000, ['a']), run(3000, []), run(4000, ['a', 'b']), run(40_000, ['b'])];
    const late = hostEvidence(host('failed a, b and was not re-checked within 20 min'), history, NEW_VERSION)!;
    expect([late.at, late.newest?.at]).toEqual([4000, 40_000]);
    const flapped = hostEvidence(host('flapped 3 times, more than the 2 tolerated'), history, NEW_VERSION)!;
    expect([flapped.at, flapped.newest]).toEqual([40_000, null]);
  });

  it('keeps the figures of the rollback on a rolled-back ring, as the timeline has them', () => {
    const { lab } = driveModel((l) => l.state.phase === 'rolled-back', { behaviour: { 'web-008': 'bad' } });
    const decided = lab.state.audit.find((e) => e.action === 'rollback')!;
    const canary = rolloutView(lab.state, WEB_POLICY, lab.observations, lab.now).rings[0]!;
    expect(canary.healthAsOf).toBe('rollback');
    expect([canary.health?.failed.length, canary.health?.budget, canary.health?.breached]).toEqual([decided.figures['canary.failed'], decided.figures['canary.budget'], true]);
    expect(canary.counts['rolled-back']).toBe(1);
    expect(canary.timing.endedAt).toBe(lab.state.audit.at(-1)?.at);
  });

  it('counts a manually rolled-back healthy ring as healthy at the rollback, and its checks as on the base version', () => {
    const snapshot = driveModel((l) => l.state.rings[0]!.soakStartedAt !== null);
    snapshot.lab.state = rollback(snapshot.lab.state, { actor: 'bob', reason: 'window closed' }, snapshot.lab.now);
    for (let i = 0; i < 2; i++) tick(snapshot.lab, WEB_POLICY, MINUTE);
    const view = rolloutView(snapshot.lab.state, WEB_POLICY, snapshot.lab.observations, snapshot.lab.now);
    expect(view.rings[0]?.health).toMatchObject({ patched: 1, passing: 1, failed: [], passRate: 1 });
    const host = view.hosts.find((h) => h.phase === 'rolled-back');
    expect(host?.lastCheck).toMatchObject({ onTarget: false, version: BASE_VERSION, failing: [] });
    expect(host?.evidence).toBeNull();
  });
});
