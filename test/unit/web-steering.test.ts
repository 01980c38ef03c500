import { describe, expect, it } from 'vitest';
import { pause } from '../../rollout/engine/commands.ts';
import { rollbackReach } from '../../web/model/rollback-reach.ts';
import { estimateEnd } from '../../web/model/rollout-estimate.ts';
import { whatWaits } from '../../web/model/waiting.ts';
import type { Viewer } from '../../web/views/layout.ts';
import { rolloutActions } from '../../web/views/rollout-actions.ts';
import { waitingBanner } from '../../web/views/waiting-banner.ts';
import { MINUTE } from './rollout-harness.ts';
import { driveModel, WEB_POLICY } from './web-fixtures.ts';

/* What the page tells a release manager before they steer: what waits, what each button does, what a rollback touches, when it ends. */

const manager: Viewer = { name: 'alice', role: 'release-manager', csrfToken: 'tok' };
const pilotSoaking = () => driveModel((l) => l.state.rings[1]!.soakStartedAt !== null);

describe('what waits on a person', () => {
  it('names the ring awaiting approval, since when and who may approve it', () => {
    const { lab } = driveModel((l) => l.state.phase === 'awaiting-approval', { approve: false });
    const waiting = whatWaits(lab.state);
    expect(waiting).toEqual({ kind: 'approval', ring: 'pilot', hosts: 2, since: lab.now });
    const banner = waitingBanner(waiting, ['alice', 'bob'], lab.now + 5 * MINUTE).value;
    expect(banner).toContain('Waiting for approval: ring pilot');
    expect(banner).toContain('(5 min ago)');
    expect(banner).toContain('Who may act: release managers (alice, bob).');
  });

  it('names a pause with who paused and why; nothing waits while it runs', () => {
    const { lab } = pilotSoaking();
    expect(whatWaits(lab.state)).toBeNull();
    const paused = pause(lab.state, { actor: 'bob', reason: 'INC-3 <b>' }, lab.now);
    expect(whatWaits(paused)).toEqual({ kind: 'paused', ring: 'pilot', since: lab.now, by: 'bob', reason: 'INC-3 <b>' });
    expect(waitingBanner(whatWaits(paused), [], lab.now).value).toContain('Paused by bob since');
  });
});

describe('the steering form', () => {
  it('explains approve and promote side by side', () => {
    const { lab } = driveModel((l) => l.state.rings[0]!.soakStartedAt !== null);
    const form = rolloutActions(lab.state, manager).value;
    expect(form).toContain('<li id="help-approve-pilot"><b>Approve pilot</b> signs pilot off in advance; nothing moves now, and pilot starts on its own once canary has soaked and passed its checks.</li>');
    expect(form).toContain("<li id=\"help-promote-pilot\"><b>Promote to pilot</b> ends canary&#39;s soak now and moves on to pilot, accepting canary&#39;s failures so far; pilot then still waits for its approval.</li>");
    expect(form).toContain('aria-describedby="help-promote-pilot"');
    expect(form).toContain('<div id="rollback-confirm"></div>');
  });

  it('asks to confirm a rollback with the hosts it touches, carrying the reason and the count', () => {
    const { lab } = pilotSoaking();
    const reach = rollbackReach(lab.state);
    expect(reach).toEqual({ hosts: 3, byRing: [{ ring: 'canary', hosts: 1 }, { ring: 'pilot', hosts: 2 }] });
    const form = rolloutActions(lab.state, manager, { rollback: { reach, reason: 'x" onfocus="alert(1)', confirmedHosts: null } }).value;
    expect(form).toContain('<b>Roll back 3 hosts now?</b> canary: 1, pilot: 2.');
    expect(form).toContain('<input type="hidden" name="confirm" value="3">');
    expect(form).toContain('<input type="hidden" name="reason" value="x&quot; onfocus=&quot;alert(1)">');
    expect(form).toContain('hx-morph-skip');
  });
});

describe('the estimate of the end', () => {
  it('adds the soaks left and the waves of patching at the pace so far, and leaves approvals out', () => {
    const { lab } = driveModel((l) => l.state.rings[0]!.soakStartedAt !== null);
    const estimate = estimateEnd(lab.state, WEB_POLICY, lab.now);
    // Canary's 30 min, pilot's hour, broad's 10 min; pilot 2 hosts 2 at a time, broad 5 hosts 3 at a time; each host took a minute.
    expect(estimate).toMatchObject({ soakLeftMs: 100 * MINUTE, wavesLeft: 3, waveMs: MINUTE, leftMs: 103 * MINUTE, approvals: ['pilot'], paused: false });
    const done = driveModel((l) => l.state.phase === 'completed');
    expect(estimateEnd(done.lab.state, WEB_POLICY, done.lab.now)).toBeNull();
  });
});
