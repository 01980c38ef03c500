import fc from 'fast-check';
import type { Fault } from '../../rollout/fleets/faults.ts';
import { MINUTE } from '../unit/simulate-harness.ts';

/* Random fault models for the simulator's property tests. */

/** A probability up to `max`, in steps of 0.5 %: fast-check's doubles crowd near 0, where faults hit no host. */
export const percent = (max: number) => fc.integer({ min: 0, max: Math.round(max * 200) }).map((k) => k / 200);

/** One fault of any kind, on a random share of the hosts. */
export const fault: fc.Arbitrary<Fault> = fc.oneof(
  fc.record({ kind: fc.constant('bad-package' as const), hosts: fc.record({ probability: percent(0.3) }), effect: fc.constant('break-service' as const) }),
  fc.record({ kind: fc.constant('latency' as const), hosts: fc.record({ probability: percent(1) }), addMs: fc.integer({ min: 1, max: 300 }) }),
  fc.record({ kind: fc.constant('host-lost' as const), hosts: fc.record({ probability: percent(0.05) }), when: fc.constant('mid-patch' as const) }),
  fc.record({ kind: fc.constant('flaky' as const), hosts: fc.record({ probability: percent(0.2) }), failures: fc.integer({ min: 1, max: 2 }) }),
  fc.record({ kind: fc.constant('disk-full' as const), hosts: fc.record({ probability: percent(0.05) }) }),
  fc.record({ kind: fc.constant('offline' as const), hosts: fc.record({ probability: percent(0.05) }) }),
  fc.record({ kind: fc.constant('slow-report' as const), hosts: fc.record({ probability: percent(0.2) }), delayMs: fc.integer({ min: 1, max: 30 }).map((m) => m * MINUTE) }),
  fc.record({ kind: fc.constant('check-noise' as const), hosts: fc.constant({}), flipProbability: percent(0.02) }),
);

/** A ring's concurrency: a count, or a share of the ring from `low` to `high` percent. */
export const amount = (low: number, high: number) =>
  fc.oneof(fc.record({ count: fc.integer({ min: 1, max: 12 }) }), fc.record({ percent: fc.integer({ min: low, max: high }) }));
