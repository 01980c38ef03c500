import fc from 'fast-check';
import { describe, it } from 'vitest';
import { approve, pause, resume, rollback } from '../../rollout/engine/commands.ts';
import type { RingSpec } from '../../rollout/engine/plan.ts';
import { STANDARD_POLICY } from '../../rollout/engine/policy.ts';
import { RolloutError } from '../../rollout/engine/state.ts';
import { decideOnLogAsFullPass, finishInFlight, labWithLog, MINUTE, mulberry32, runChecks, type Behaviour } from '../unit/rollout-harness.ts';

/*
 * The simulator hands the engine an ObservationLog, and the engine then judges only the hosts that
 * changed. Whatever happens (checks skipped, clocks jumping past timeouts, flaps, failures, people
 * clicking, a history replaced wholesale), every ring's health and every decision must be exactly
 * what a full pass over a plain index gives.
 */

const rings: RingSpec[] = [
  { name: 'canary', hosts: { count: 3 }, concurrency: { count: 2 }, failureBudget: { count: 1 }, soakMs: 20 * MINUTE, requiresApproval: false, healthGate: { latency: true } },
  { name: 'pilot', hosts: { percent: 30 }, concurrency: { percent: 50 }, failureBudget: { count: 2 }, soakMs: 30 * MINUTE, requiresApproval: true, healthGate: { latency: false } },
  { name: 'broad', hosts: 'rest', concurrency: { percent: 40 }, failureBudget: { percent: 20 }, soakMs: 10 * MINUTE, requiresApproval: false, healthGate: { latency: false } },
];

const behaviour = fc.constantFrom<Behaviour>('good', 'good', 'good', 'bad', 'flaky', 'flapping', 'slow', 'patch-fails');

const step = fc.record({
  minutes: fc.integer({ min: 0, max: 25 }),
  finish: fc.integer({ min: 0, max: 4 }),
  checks: fc.boolean(),
  click: fc.constantFrom(null, null, null, null, 'approve', 'resume', 'pause', 'rollback', 'replace'),
});

describe('engine on an observation log', () => {
  it('judges every ring and decides exactly as a full pass over a plain index does', () => {
    fc.assert(
      fc.property(fc.array(behaviour, { minLength: 6, maxLength: 20 }), fc.array(step, { minLength: 10, maxLength: 80 }), fc.integer(), (behaviours, steps, seed) => {
        const { lab, log } = labWithLog(behaviours, rings, seed);
        const random = mulberry32(seed);
        let copied = 0;
        for (const s of steps) {
          lab.now += s.minutes * MINUTE;
          finishInFlight(lab, () => random() < s.finish / 4);
          if (s.checks) runChecks(lab);
          for (; copied < lab.observations.length; copied++) log.append(lab.observations[copied]!);
          try {
            const who = { actor: 'alice', reason: 'test' };
            if (s.click === 'approve') lab.state = approve(lab.state, { ...who, ring: lab.state.rings[lab.state.ring]?.name ?? '' }, lab.now);
            if (s.click === 'resume') lab.state = resume(lab.state, who, lab.now);
            if (s.click === 'pause') lab.state = pause(lab.state, who, lab.now);
            if (s.click === 'rollback' && random() < 0.2) lab.state = rollback(lab.state, who, lab.now);
          } catch (error) {
            if (!(error instanceof RolloutError)) throw error;
          }
          if (s.click === 'replace' && lab.observations.length > 0) {
            // A caller may set a host's history outright; the log must notice that too.
            const hostId = lab.observations[Math.floor(random() * lab.observations.length)]!.hostId;
            log.set(hostId, (log.get(hostId) ?? []).slice(0, -1));
            lab.observations = lab.observations.filter((o) => o.hostId !== hostId).concat(log.get(hostId) ?? []);
            copied = lab.observations.length;
          }

          if (decideOnLogAsFullPass(lab, log, STANDARD_POLICY)) break;
        }
      }),
      { seed: 20250114, numRuns: 150 },
    );
  });
});
