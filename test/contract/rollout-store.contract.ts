import { describe, expect, it } from 'vitest';
import { freshEach, type StoreHarness, type TestDatabase } from './harness.ts';
import { overrideAge, pause, resume } from '../../rollout/engine/commands.ts';
import type { Decision } from '../../rollout/engine/decision.ts';
import { CRITICAL_SECURITY_POLICY, STANDARD_POLICY } from '../../rollout/engine/policy.ts';
import { ENGINE, type RolloutState } from '../../rollout/engine/state.ts';
import { StoreError } from '../../lab/store/store-error.ts';
import type { NewTransition, RolloutStore } from '../../rollout/store/rollout-store.ts';
import { apply } from '../../rollout/engine/transitions.ts';
import { newRolloutRow } from '../../rollout/store/rollout-rows.ts';
import { sampleState, T0 } from '../fixtures/store/samples.ts';

type Store = RolloutStore & { close(): Promise<void> };

const MINUTE = 60_000;
const alice = { actor: 'alice', reason: 'change freeze until the incident review' };
/** How a rollout came by its policy, as rollout/drive/policy-choice.ts stores it in the meta. */
const byRule = {
  policy: 'critical-security',
  by: 'rule',
  rule: 'urgent-or-cve',
  rulesFrom: 'patchlab.yaml',
  evidence: { cves: ['CVE-2026-1234'], urgency: 'high', advisories: [], sources: ['openssl'] },
  text: "policy critical-security, picked by rule 'urgent-or-cve' (CVE-2026-1234, urgency high, from the package changelog)",
};

/** What every rollout store does, whatever keeps it: each implementation's test runs it. */
export function rolloutStoreContract(harness: StoreHarness<Store>): void {
  let store: Store;
  let db: TestDatabase<Store>;

  freshEach(
    harness,
    (s, d) => {
      store = s;
      db = d;
    },
    () => store,
  );

  function patchFirstCanary(state: RolloutState): { decision: Decision; next: RolloutState } {
    const host = state.rings[0]!.hostIds[0]!;
    const decision: Decision = { action: 'patch-hosts', ring: 0, hosts: [host], reasons: [`ring canary: patching ${host}`], figures: { pending: 1 } };
    return { decision, next: apply(state, decision, T0 + MINUTE) };
  }

  const decided = (decision: Decision, at = T0 + MINUTE): NewTransition => ({ at, actor: ENGINE, kind: 'decision', payload: decision });

  async function expectRefusal(promise: Promise<unknown>, code: StoreError['code']): Promise<StoreError> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe(code);
    return error as StoreError;
  }

  describe('rollouts', () => {
    it('gives back the state, policy and meta it was given, at seq 0', async () => {
      const state = sampleState();
      await store.createRollout({ state, scenario: 'scenarios/openssl.yaml', policy: CRITICAL_SECURITY_POLICY, meta: { startedBy: 'alice' } });

      expect(await store.loadRollout(state.id)).toEqual({
        id: state.id,
        scenario: 'scenarios/openssl.yaml',
        createdAt: T0,
        updatedAt: T0,
        state,
        policy: CRITICAL_SECURITY_POLICY,
        meta: { startedBy: 'alice' },
        seq: 0,
      });
      expect(await store.loadRollout('nope')).toBeUndefined();
    });

    it('refuses a second rollout with the same id', async () => {
      await store.createRollout({ state: sampleState(), scenario: 'a.yaml', policy: STANDARD_POLICY });
      const error = await expectRefusal(store.createRollout({ state: sampleState(), scenario: 'b.yaml', policy: STANDARD_POLICY }), 'duplicate');
      expect(error.message).toContain('rollout-1');
      expect((await store.loadRollout('rollout-1'))?.scenario).toBe('a.yaml');
    });

    it('records transitions in order and keeps the state after the last one', async () => {
      const start = sampleState();
      await store.createRollout({ state: start, scenario: 's.yaml', policy: STANDARD_POLICY });
      const { decision, next: patching } = patchFirstCanary(start);
      const paused = pause(patching, alice, T0 + 2 * MINUTE);
      const resumed = resume(paused, { actor: 'bob', reason: 'incident closed' }, T0 + 3 * MINUTE);

      expect(await store.recordTransition(start.id, decided(decision), patching, 0)).toBe(1);
      const commanded = (actor: string, at: number, payload: unknown): NewTransition => ({ at, actor, kind: 'command', payload });
      expect(await store.recordTransition(start.id, commanded('alice', T0 + 2 * MINUTE, { command: 'pause', ...alice }), paused, 1)).toBe(2);
      expect(await store.recordTransition(start.id, commanded('bob', T0 + 3 * MINUTE, { command: 'resume' }), resumed, 2)).toBe(3);

      const loaded = await store.loadRollout(start.id);
      expect(loaded?.state).toEqual(resumed);
      expect(loaded?.seq).toBe(3);
      expect(loaded?.updatedAt).toBe(T0 + 3 * MINUTE);
      expect(loaded?.state.audit.map((a) => [a.actor, a.action])).toEqual([
        [ENGINE, 'patch-hosts'],
        ['alice', 'pause'],
        ['bob', 'resume'],
      ]);

      const timeline = await store.transitions(start.id);
      expect(timeline.map((t) => [t.seq, t.actor, t.kind])).toEqual([
        [1, ENGINE, 'decision'],
        [2, 'alice', 'command'],
        [3, 'bob', 'command'],
      ]);
      expect(timeline[0]?.payload).toEqual(decision);
      expect((await store.transitions(start.id, { afterSeq: 1 })).map((t) => t.seq)).toEqual([2, 3]);
      expect((await store.transitions(start.id, { afterSeq: 1, limit: 1 })).map((t) => t.seq)).toEqual([2]);
      expect(await store.transitions('nope')).toEqual([]);
    });

    it('refuses a transition of an unknown rollout', async () => {
      const state = sampleState('ghost');
      await expectRefusal(store.recordTransition('ghost', decided(patchFirstCanary(state).decision), state, 0), 'not-found');
      expect(await store.transitions('ghost')).toEqual([]);
    });

    it('refuses a state computed from an older seq, so a concurrent command is not lost', async () => {
      const start = sampleState();
      await store.createRollout({ state: start, scenario: 's.yaml', policy: STANDARD_POLICY });
      const cli = await db.open();
      try {
        // The engine loaded seq 0 and decided; meanwhile a release manager paused from the CLI.
        const { decision, next } = patchFirstCanary(start);
        const loadedByCli = (await cli.loadRollout(start.id))!;
        const paused = pause(loadedByCli.state, alice, T0 + MINUTE);
        await cli.recordTransition(start.id, { at: T0 + MINUTE, actor: 'alice', kind: 'command', payload: { command: 'pause' } }, paused, loadedByCli.seq);

        const error = await expectRefusal(store.recordTransition(start.id, decided(decision), next, 0), 'stale');
        expect(error.message).toMatch(/at transition 1, not 0/);
        const reloaded = (await store.loadRollout(start.id))!;
        expect(reloaded.state.phase).toBe('paused');
        expect(apply(reloaded.state, decision, T0 + 2 * MINUTE)).toBe(reloaded.state);
      } finally {
        await cli.close();
      }
    });

    it('leaves neither the transition nor the new state when the transaction fails half-way', async () => {
      const start = sampleState();
      await store.createRollout({ state: start, scenario: 's.yaml', policy: STANDARD_POLICY });
      const { decision, next } = patchFirstCanary(start);

      // The state is written first, then the transition row breaks a constraint.
      await expect(store.recordTransition(start.id, { ...decided(decision), actor: '' }, next, 0)).rejects.toThrow(harness.constraintFailure);

      const loaded = await store.loadRollout(start.id);
      expect(loaded?.state).toEqual(start);
      expect(loaded?.seq).toBe(0);
      expect(await store.transitions(start.id)).toEqual([]);
      expect(await store.recordTransition(start.id, decided(decision), next, 0)).toBe(1);
    });

    it('refuses a state or payload that JSON would not give back equal, and stores nothing', async () => {
      const start = sampleState();
      await store.createRollout({ state: start, scenario: 's.yaml', policy: STANDARD_POLICY });
      const { decision, next } = patchFirstCanary(start);
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;

      const refusals = [
        () => store.recordTransition(start.id, decided(decision), { ...next, createdAt: Number.NaN }, 0),
        () => store.recordTransition(start.id, decided(decision), { ...next, paused: undefined as never }, 0),
        () => store.recordTransition(start.id, decided(decision), { ...next, hosts: [new Date(T0) as never] }, 0),
        () => store.recordTransition(start.id, { ...decided(decision), payload: cyclic }, next, 0),
        () => store.recordTransition(start.id, { ...decided(decision), payload: { hosts: new Set(['web-1']) } }, next, 0),
        () => store.recordTransition(start.id, { ...decided(decision), payload: 10n }, next, 0),
        () => store.recordTransition('rollout-2', decided(decision), next, 0),
      ];
      for (const refusal of refusals) await expectRefusal(refusal(), 'invalid');
      await expect(refusals[2]!()).rejects.toThrow(/: hosts\[0\] is a Date/);
      await expect(store.recordTransition(start.id, decided(decision), { ...next, createdAt: Number.NaN }, 0)).rejects.toThrow(/: createdAt is NaN/);

      expect((await store.loadRollout(start.id))?.state).toEqual(start);
      expect(await store.transitions(start.id)).toEqual([]);
    });

    it('lists summaries newest first, following each rollout to its current ring and phase', async () => {
      const older = sampleState('rollout-a', 40, T0);
      const newer = { ...sampleState('rollout-b', 40, T0 + MINUTE), patch: { name: 'nginx', version: '1.22.1-9+deb12u1', severity: 'critical' as const } };
      await store.createRollout({ state: older, scenario: 'a.yaml', policy: STANDARD_POLICY });
      await store.createRollout({ state: newer, scenario: 'b.yaml', policy: CRITICAL_SECURITY_POLICY });
      const promoted = apply(older, { action: 'promote', ring: 0, toRing: 1, reasons: ['soaked'], figures: {} }, T0 + 5 * MINUTE);
      const paused = pause(promoted, alice, T0 + 6 * MINUTE);
      await store.recordTransition(older.id, decided({ action: 'promote', ring: 0, toRing: 1, reasons: ['soaked'], figures: {} }, T0 + 5 * MINUTE), promoted, 0);
      await store.recordTransition(older.id, { at: T0 + 6 * MINUTE, actor: 'alice', kind: 'command', payload: {} }, paused, 1);

      expect(await store.listRollouts()).toEqual([
        { id: 'rollout-b', scenario: 'b.yaml', phase: 'running', ring: 'canary', patch: newer.patch, createdAt: T0 + MINUTE, updatedAt: T0 + MINUTE, seq: 0, ageWaitUntil: null, policyChoice: null },
        { id: 'rollout-a', scenario: 'a.yaml', phase: 'paused', ring: 'pilot', patch: older.patch, createdAt: T0, updatedAt: T0 + 6 * MINUTE, seq: 2, ageWaitUntil: null, policyChoice: null },
      ]);
    });

    it('lists until when a rollout waits for its updates\' minimum age, and no wait once an admin overrides it', async () => {
      const until = T0 + 3 * 86_400_000;
      const young = [{ name: 'tzdata', version: '2025b-0+deb12u1', firstSeenAt: T0 - 4 * 86_400_000 }];
      const waiting: RolloutState = { ...sampleState('rollout-young', 40, T0), ageWait: { until, minimumAgeMs: 7 * 86_400_000, young, override: null } };
      await store.createRollout({ state: waiting, scenario: 'a.yaml', policy: STANDARD_POLICY });
      expect((await store.listRollouts()).map((r) => [r.id, r.phase, r.ageWaitUntil])).toEqual([['rollout-young', 'running', until]]);

      const overridden = overrideAge(waiting, { actor: 'root', reason: 'CVE fix needed today' }, T0 + MINUTE);
      await store.recordTransition(waiting.id, { at: T0 + MINUTE, actor: 'root', kind: 'command', payload: {} }, overridden, 0);
      expect((await store.listRollouts()).map((r) => [r.id, r.phase, r.ageWaitUntil])).toEqual([['rollout-young', 'running', null]]);
    });

    it('lists how each rollout came by its policy, as its meta stored it, and nothing for one from before policy choices', async () => {
      await store.createRollout({ state: sampleState('rollout-ruled', 40, T0), scenario: 'a.yaml', policy: CRITICAL_SECURITY_POLICY, meta: { policyChoice: byRule, labRunId: 'run-1' } });
      await store.createRollout({ state: sampleState('rollout-old', 40, T0 + MINUTE), scenario: 'b.yaml', policy: STANDARD_POLICY, meta: { labRunId: 'run-2' } });
      expect((await store.listRollouts()).map((r) => [r.id, r.policyChoice])).toEqual([
        ['rollout-old', null],
        ['rollout-ruled', byRule],
      ]);
    });

    it.runIf(harness.createBefore)('fills in the policy choice of rollouts stored before the list had it, from their meta', async () => {
      const row = (id: string, at: number, meta: Record<string, unknown>) => {
        const { policy_choice: _, ...older } = newRolloutRow({ state: sampleState(id, 40, at), scenario: 's.yaml', policy: STANDARD_POLICY, meta });
        return { ...older, seq: 0 };
      };
      const old = await harness.createBefore!('policy_choice', 'rollouts', [row('rollout-ruled', T0, { policyChoice: byRule }), row('rollout-old', T0 + MINUTE, { labRunId: 'run-2' })]);
      const migrated = await old.open();
      try {
        expect((await migrated.listRollouts()).map((r) => [r.id, r.policyChoice])).toEqual([
          ['rollout-old', null],
          ['rollout-ruled', byRule],
        ]);
        expect((await migrated.loadRollout('rollout-ruled'))?.meta).toEqual({ policyChoice: byRule });
      } finally {
        await migrated.close();
        await old.dispose();
      }
    });

    it('gives a rollout\'s version without its state: its seq, moved by every transition, and nothing for an unknown rollout', async () => {
      const start = sampleState();
      await store.createRollout({ state: start, scenario: 's.yaml', policy: STANDARD_POLICY });
      expect(await store.rolloutVersion(start.id)).toBe(0);
      const { decision, next } = patchFirstCanary(start);
      await store.recordTransition(start.id, decided(decision), next, 0);
      expect(await store.rolloutVersion(start.id)).toBe(1);
      await store.recordTransition(start.id, { at: T0 + 2 * MINUTE, actor: 'alice', kind: 'command', payload: {} }, pause(next, alice, T0 + 2 * MINUTE), 1);
      expect(await store.rolloutVersion(start.id)).toBe((await store.loadRollout(start.id))?.seq);
      expect(await store.rolloutVersion(start.id)).toBe(2);
      // A refused write leaves the version where it was.
      await expectRefusal(store.recordTransition(start.id, decided(decision), next, 0), 'stale');
      expect(await store.rolloutVersion(start.id)).toBe(2);
      expect(await store.rolloutVersion('nope')).toBeUndefined();
    });

    it('sees everything after the store is closed and opened again', async () => {
      const start = sampleState('rollout-1', 500);
      await store.createRollout({ state: start, scenario: 's.yaml', policy: STANDARD_POLICY });
      const { decision, next } = patchFirstCanary(start);
      await store.recordTransition(start.id, decided(decision), next, 0);
      await store.recordHealthSample(start.id, { at: T0 + MINUTE, ring: 'canary', passRate: null, failed: 0, budget: 0 });
      await store.close();

      store = await db.open();
      const loaded = await store.loadRollout(start.id);
      expect(loaded?.state).toEqual(next);
      expect(loaded?.seq).toBe(1);
      expect((await store.transitions(start.id)).map((t) => t.payload)).toEqual([decision]);
      expect(await store.healthSamples(start.id)).toHaveLength(1);
    });
  });
}
