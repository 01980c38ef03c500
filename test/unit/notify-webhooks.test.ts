import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setImmediate as tick } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Notification } from '../../lab/notify/notification.ts';
import { bisectNotifications, labRunNotification } from '../../lab/notify/run-notifications.ts';
import { bisectMaxRunsFrom, DEFAULT_BISECT_MAX_RUNS } from '../../lab/schedule/schedule-bisect.ts';
import { WebhookNotifier } from '../../lab/notify/webhook-notifier.ts';
import { webhookTargetsFrom } from '../../lab/notify/webhook-targets.ts';
import { rolloutNotification } from '../../rollout/drive/rollout-notification.ts';
import { driveRollout, type RunnerStore } from '../../rollout/drive/runner.ts';
import { approve, applyCommand } from '../../rollout/engine/commands.ts';
import { STANDARD_POLICY } from '../../rollout/engine/policy.ts';
import { createRollout, type RolloutState } from '../../rollout/engine/state.ts';
import type { Fleet } from '../../rollout/fleets/fleet.ts';
import { sampleReport } from '../fixtures/store/samples.ts';
import { BASE_VERSION, CHECK, fleetOf, NEW_VERSION, T0 } from './rollout-harness.ts';

/** A webhook receiver on loopback that answers each request with the next status of its script, then 200. */
interface Receiver {
  url: string;
  bodies: unknown[];
  statuses: number[];
  server: Server;
}

async function receiver(script: number[] = []): Promise<Receiver> {
  const bodies: unknown[] = [];
  const statuses: number[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (d) => (text += d));
    req.on('end', () => {
      const status = script.shift() ?? 200;
      statuses.push(status);
      if (status === 200) bodies.push(JSON.parse(text));
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/secret-path`, bodies, statuses, server };
}

let receivers: Receiver[] = [];
beforeEach(() => {
  receivers = [];
});
afterEach(async () => {
  await Promise.all(receivers.map((r) => new Promise((resolve) => r.server.close(resolve))));
});

const notification: Notification = { kind: 'rollout.paused', subject: 'r1', text: 'rollout r1 paused', at: '2026-12-08T10:00:00.000Z', details: {} };

describe('webhook notifications', () => {
  it('delivers each notification once, retrying with backoff after a failure, as JSON or a Slack-compatible body', async () => {
    const flaky = await receiver([503, 502]);
    const slack = await receiver();
    receivers.push(flaky, slack);
    const logged: string[] = [];
    const notifier = new WebhookNotifier({ targets: webhookTargetsFrom({ PATCHLAB_WEBHOOKS: `${flaky.url}, slack=${slack.url}` }), log: (m) => logged.push(m), minTimeoutMs: 10 });
    notifier.notify(notification);
    await notifier.idle();
    expect(flaky.statuses).toEqual([503, 502, 200]);
    expect(flaky.bodies).toEqual([notification]);
    expect(slack.bodies).toEqual([{ text: 'patchlab: rollout r1 paused' }]);
    expect(logged).toEqual([]);
  });

  it('does not retry a body the receiver refuses, never blocks the caller, and logs a failure without the URL\'s secret', async () => {
    const refusing = await receiver([400]);
    receivers.push(refusing);
    const logged: string[] = [];
    const notifier = new WebhookNotifier({ targets: [{ url: refusing.url, format: 'json' }, { url: 'http://127.0.0.1:1/hooks/secret-path', format: 'json' }], log: (m) => logged.push(m), retries: 2, minTimeoutMs: 10 });
    notifier.notify(notification);
    // notify has returned before any receiver has even been asked: the caller never waits on one.
    expect(refusing.statuses).toEqual([]);
    await notifier.idle();
    expect(refusing.statuses).toEqual([400]);
    expect(logged).toHaveLength(2);
    expect(logged.join('\n')).not.toContain('secret-path');
    // The two fail in whichever order the network answers.
    const port = new URL(refusing.url).port;
    expect(logged.find((line) => line.includes(`:${port}/`))).toBe(`webhook http://127.0.0.1:${port}/…: rollout.paused of r1 not delivered: answered 400`);
    expect(logged.find((line) => line.includes(':1/'))).toMatch(/^webhook http:\/\/127\.0\.0\.1:1\/…: rollout\.paused of r1 not delivered: /);
  });

  it('refuses a PATCHLAB_WEBHOOKS entry that is not an http(s) URL, naming the variable', () => {
    expect(() => webhookTargetsFrom({ PATCHLAB_WEBHOOKS: 'ftp://x/y' })).toThrow(/^PATCHLAB_WEBHOOKS: expected http\(s\) URLs/);
    expect(webhookTargetsFrom({})).toEqual([]);
  });

  it('tells of a failed lab run, and not of a passed one', () => {
    expect(labRunNotification(sampleReport('run-1', 'web', '2026-12-08T10:00:00.000Z', 'pass'))).toBeNull();
    expect(labRunNotification(sampleReport('run-2', 'web', '2026-12-08T10:00:00.000Z', 'fail'))).toMatchObject({ kind: 'lab-run.failed', subject: 'run-2' });
  });

  it('tells of each bisection a scheduled run did: culprits and what they break, lab runs, hold, the rest; or why it stopped', () => {
    const base = { schedule: 'web-nightly', startedAt: 0, slotAt: null, coalesced: false, finishedAt: Date.parse('2026-12-08T10:00:00.000Z') };
    const image = { image: 'web', runId: 'lab-1', verdict: 'fail' as const, upgradable: [], newlyUpgradable: [], patches: [], checks: [] };
    const found = { bisectId: 'bisect-1', status: 'finished' as const, culprits: [{ items: ['openssl'], breaks: ['check http broken by the patch'], runId: 'lab-3' }], hold: ['libssl3', 'openssl'], leaveOut: [], testsRun: 3, restRunId: 'lab-4' };
    const stopped = { bisectId: 'bisect-2', status: 'stopped' as const, culprits: [], hold: [], leaveOut: [], testsRun: 2, error: 'lab bisect: stopped before lab run 3: at most 2 lab run(s) allowed' };
    const told = bisectNotifications({ ...base, images: [{ ...image, bisect: found }, { ...image, image: 'db', runId: 'lab-2', bisect: stopped }, { ...image, image: 'mail' }] });
    expect(told.map((n) => [n.kind, n.subject])).toEqual([['bisect.finished', 'bisect-1'], ['bisect.finished', 'bisect-2']]);
    expect(told[0]?.text).toBe(
      "bisection bisect-1 of web's failed lab run lab-1 (scheduled run web-nightly), 3 lab run(s): culprit openssl breaks: check http broken by the patch; proposed hold: libssl3 openssl; the rest passes in lab run lab-4",
    );
    expect(told[1]?.text).toBe("bisection bisect-2 of db's failed lab run lab-2 (scheduled run web-nightly), 2 lab run(s): stopped: lab bisect: stopped before lab run 3: at most 2 lab run(s) allowed");
    expect(told[0]?.details).toMatchObject({ schedule: 'web-nightly', image: 'web', hold: ['libssl3', 'openssl'], restRunId: 'lab-4' });
  });

  it('reads how many lab runs a scheduled run may spend bisecting, refusing anything but a whole number', () => {
    expect(bisectMaxRunsFrom({})).toBe(DEFAULT_BISECT_MAX_RUNS);
    expect(bisectMaxRunsFrom({ PATCHLAB_BISECT_MAX_RUNS: '0' })).toBe(0);
    expect(() => bisectMaxRunsFrom({ PATCHLAB_BISECT_MAX_RUNS: 'lots' })).toThrow('PATCHLAB_BISECT_MAX_RUNS: expected a whole number of lab runs from 0 (never bisect) to 999, got "lots"');
  });
});

describe('a driven rollout', () => {
  it('posts waiting for approval, paused and completed once each, as they happen, to a local receiver', async () => {
    const hook = await receiver();
    receivers.push(hook);
    const notifier = new WebhookNotifier({ targets: [{ url: hook.url, format: 'json' }], log: () => undefined });
    let current = {
      state: createRollout({
        id: 'rollout-n',
        patch: { name: 'openssl', version: NEW_VERSION, severity: 'high' },
        hosts: fleetOf(2),
        rings: [
          { name: 'canary', hosts: { count: 1 }, concurrency: { count: 1 }, failureBudget: { count: 0 }, soakMs: 0, requiresApproval: false, healthGate: { latency: false } },
          { name: 'pilot', hosts: 'rest', concurrency: { count: 1 }, failureBudget: { count: 0 }, soakMs: 0, requiresApproval: true, healthGate: { latency: false } },
        ],
        now: T0,
      }),
      seq: 0,
    };
    const store: RunnerStore = {
      current: async () => current,
      async commit(_id, _step, after, expectedSeq) {
        if (expectedSeq !== current.seq) return false;
        current = { state: after, seq: current.seq + 1 };
        return true;
      },
    };
    const clock = { now: T0 };
    const versions = new Map<string, string>();
    const fleet: Fleet = {
      hosts: () => fleetOf(2).map((h) => ({ ...h, version: versions.get(h.id) ?? BASE_VERSION })),
      patch: async (hostId) => {
        versions.set(hostId, NEW_VERSION);
        return { type: 'patched', hostId, version: NEW_VERSION };
      },
      rollback: () => Promise.reject(new Error('no rollback expected')),
      check: async (hostId) => ({ hostId, at: clock.now, version: versions.get(hostId) ?? BASE_VERSION, checks: [{ id: CHECK, status: 'pass' }] }),
      close: async () => undefined,
    };
    // A release manager elsewhere: pauses once pilot waits, then resumes and approves.
    const person = (state: RolloutState): RolloutState => {
      if (state.phase === 'awaiting-approval') return applyCommand(state, { name: 'pause', actor: 'alice', reason: 'change window opens at 10:00' }, clock.now);
      if (state.phase === 'paused') return approve(applyCommand(state, { name: 'resume', actor: 'alice', reason: 'window open' }, clock.now), { actor: 'alice', reason: 'CHG-7', ring: 'pilot' }, clock.now);
      return state;
    };
    const final = await driveRollout('rollout-n', {
      store,
      fleet,
      policy: STANDARD_POLICY,
      checkIntervalMs: 1_000,
      now: () => clock.now,
      sleep: async (ms) => {
        clock.now += ms;
        const after = person(current.state);
        if (after !== current.state) current = { state: after, seq: current.seq + 1 };
        await tick();
      },
      onPhase: (state, previous) => {
        const n = rolloutNotification(state, previous, clock.now);
        if (n) notifier.notify(n);
      },
    });
    await notifier.idle();
    expect(final.phase).toBe('completed');
    expect(hook.bodies.map((b) => (b as Notification).kind)).toEqual(['rollout.awaiting-approval', 'rollout.paused', 'rollout.completed']);
    expect((hook.bodies[1] as Notification).text).toBe(`rollout rollout-n (openssl ${NEW_VERSION}) paused in ring pilot by alice: change window opens at 10:00`);
  });
});
