import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { approve, pause, promote, resume, rollback } from '../../rollout/engine/commands.ts';
import { decide } from '../../rollout/engine/engine.ts';
import { ObservationLog } from '../../rollout/engine/observation-log.ts';
import { ownRollout } from '../../rollout/engine/owned-rollout.ts';
import type { RingSpec } from '../../rollout/engine/plan.ts';
import { STANDARD_POLICY } from '../../rollout/engine/policy.ts';
import { RolloutError, type HostState, type RolloutState } from '../../rollout/engine/state.ts';
import { apply } from '../../rollout/engine/transitions.ts';
import { finishInFlight, fleetOf, MINUTE, modelLab, mulberry32, runChecks, type Behaviour, type ModelLab } from '../unit/rollout-harness.ts';

/*
 * The simulator owns its rollout state, so the engine's transitions edit the host list and the
 * audit log in place rather than copy them (owned-rollout.ts), and the engine's memos follow the
 * edits instead of comparing lists; it also tells the engine where its hosts are, in host events
 * and check results. Two model fleets with the same hosts, checks, clocks and clicks, one on
 * copying transitions and one on an owned state with position hints (some host events with a
 * wrong one, which the engine must notice), must see the very same decisions and states at every step.
 */


/** Where a host is in the list, or, when `wrong`, its neighbour's place: a hint the engine must check. */
function hintedPosition(hosts: readonly HostState[], hostId: string, wrong: boolean): number {
  const at = hosts.findIndex((h) => h.id === hostId);
  return wrong ? (at + 1) % hosts.length : at;
}

const amount = fc.oneof(fc.record({ count: fc.integer({ min: 1, max: 4 }) }), fc.record({ percent: fc.integer({ min: 10, max: 100 }) }));

const plan = fc.tuple(amount, amount, amount, fc.boolean(), fc.boolean()).map(([c0, c1, c2, approval, latency]): RingSpec[] => [
  { name: 'canary', hosts: { count: 2 }, concurrency: c0, failureBudget: { count: 1 }, soakMs: 10 * MINUTE, requiresApproval: false, healthGate: { latency } },
  { name: 'pilot', hosts: { percent: 30 }, concurrency: c1, failureBudget: { count: 2 }, soakMs: 20 * MINUTE, requiresApproval: approval, healthGate: { latency: false } },
  { name: 'broad', hosts: 'rest', concurrency: c2, failureBudget: { percent: 20 }, soakMs: 5 * MINUTE, requiresApproval: false, healthGate: { latency: false } },
]);

const behaviour = fc.constantFrom<Behaviour>('good', 'good', 'good', 'good', 'bad', 'flaky', 'flapping', 'slow', 'patch-fails');

const step = fc.record({
  minutes: fc.integer({ min: 0, max: 12 }),
  finish: fc.integer({ min: 0, max: 4 }),
  checks: fc.boolean(),
  click: fc.constantFrom(null, null, null, null, null, null, 'approve', 'resume', 'pause', 'promote', 'rollback'),
});

type Click = 'approve' | 'resume' | 'pause' | 'promote' | 'rollback';

function clicked(state: RolloutState, click: Click, now: number): RolloutState {
  const who = { actor: 'alice', reason: 'test' };
  try {
    if (click === 'approve') return approve(state, { ...who, ring: state.rings[state.ring]?.name ?? '' }, now);
    if (click === 'resume') return resume(state, who, now);
    if (click === 'pause') return pause(state, who, now);
    if (click === 'promote') return promote(state, { ...who, ring: state.rings[state.ring + 1]?.name ?? '' }, now);
    return rollback(state, who, now);
  } catch (error) {
    if (error instanceof RolloutError) return state;
    throw error;
  }
}

describe('engine on a state its holder owns', () => {
  it('decides and moves exactly as the copying transitions do', () => {
    fc.assert(
      fc.property(plan, fc.array(behaviour, { minLength: 6, maxLength: 24 }), fc.array(step, { minLength: 10, maxLength: 80 }), fc.integer(), (rings, behaviours, steps, seed) => {
        const hosts = fleetOf(behaviours.length);
        const byHost = Object.fromEntries(hosts.map((h, i) => [h.id, behaviours[i] ?? 'good']));
        const copying = modelLab({ hosts, rings, behaviour: byHost, seed });
        const owned: ModelLab = { ...modelLab({ hosts, rings, behaviour: byHost, seed }) };
        owned.state = ownRollout(owned.state);
        const log = new ObservationLog();
        const draws = [mulberry32(seed), mulberry32(seed)];
        const hints = mulberry32(seed ^ 0x5eed);
        for (const s of steps) {
          [copying, owned].forEach((lab, side) => {
            lab.now += s.minutes * MINUTE;
            const finishes = () => draws[side]!() < s.finish / 4;
            if (lab === owned) finishInFlight(lab, finishes, (hostId) => hintedPosition(lab.state.hosts, hostId, hints() < 0.1));
            else finishInFlight(lab, finishes);
            if (s.checks) runChecks(lab);
            // A command replaces the host list when it accepts failures or rolls back: owned again, as the simulator does.
            if (s.click && (s.click !== 'rollback' || draws[side]!() < 0.2)) lab.state = clicked(lab.state, s.click, lab.now);
            if (lab === owned) lab.state = ownRollout(lab.state);
          });
          // Check results with the host's position, or now and then none (the log trusts a position it is given).
          for (let n = log.changeCount; log.changeCount < owned.observations.length; n++) {
            const observation = owned.observations[n]!;
            log.append(observation, hints() < 0.1 ? -1 : owned.state.hosts.findIndex((h) => h.id === observation.hostId));
          }
          const expected = decide(copying.state, copying.observations, copying.now, STANDARD_POLICY);
          assert.deepEqual(decide(owned.state, log, owned.now, STANDARD_POLICY), expected, `decision at ${copying.now}`);
          copying.state = apply(copying.state, expected, copying.now);
          owned.state = apply(owned.state, expected, owned.now);
          assert.deepEqual(owned.state, copying.state, `state after ${expected.action} at ${copying.now}`);
          if (copying.state.phase === 'completed' || copying.state.phase === 'rolled-back') break;
        }
      }),
      { seed: 20250114, numRuns: 200 },
    );
  });
});
