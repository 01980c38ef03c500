import { describe, expect, it } from 'vitest';
import { DEFAULT_PLANS_AT_ONCE, PlanThreads, plansAtOnce } from '../../bin/commands/simulate-workers.ts';
import { PlanError } from '../../rollout/engine/plan.ts';
import { STANDARD_POLICY } from '../../rollout/engine/policy.ts';
import { comparePolicies, inThisThread, type ComparisonInput } from '../../rollout/simulate/compare.ts';
import { simulatedFleet } from '../../rollout/simulate/fleet-hosts.ts';
import { standardRings } from '../../rollout/simulate/policies.ts';
import { resolveSettings } from '../../rollout/simulate/settings.ts';

/*
 * From 750,000 hosts `simulate` runs its plans two at a time in worker threads that each build the
 * fleet once and run plans one after another. The comparison must be the one a single thread
 * gives, plan by plan, whichever thread ran which plan; a plan the engine refuses fails the whole
 * comparison with its PlanError, and closing the threads ends the other one, busy or not.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const hosts = 400;
const shape = { hosts, groups: [{ count: 150, labels: { site: 'paris' } }] };
const recipe = { shape, size: hosts, prefix: 'web' };

function comparison(variants: ComparisonInput['variants']): ComparisonInput {
  return {
    variants,
    faults: [{ kind: 'bad-package', hosts: { probability: 0.02 }, effect: 'break-service' }, { kind: 'latency', hosts: { probability: 0.3 }, addMs: 40 }],
    checkIntervalMs: MINUTE,
    settings: resolveSettings({}, { hosts, checkIntervalMs: MINUTE }),
    seed: 11,
    runs: 2,
  };
}

const variants = [
  { name: '1/9/90, soak 1 h', rings: standardRings(1, 9, HOUR), policy: STANDARD_POLICY },
  { name: '5/15/80, soak 2 h', rings: standardRings(5, 15, 2 * HOUR), policy: STANDARD_POLICY },
  { name: '10/20/70, no soak', rings: standardRings(10, 20, 0), policy: STANDARD_POLICY },
];

describe('plans two at a time in worker threads', () => {
  it('give the comparison one thread gives, plan by plan', async () => {
    const here = await comparePolicies(comparison(variants), inThisThread(simulatedFleet(shape, hosts, 'web')));
    const threads = new PlanThreads(recipe);
    const started: string[] = [];
    const input = { ...comparison(variants), onRun: ({ variant, seed, result }: { variant: { name: string }; seed: number; result?: unknown }) => void (result ? null : started.push(`${variant.name}/${seed}`)) };
    const elsewhere = await comparePolicies(input, threads.runner, 2).finally(() => threads.close());
    expect(elsewhere).toEqual(here);
    // Started in the order a single thread runs them.
    expect(started).toEqual(variants.flatMap((v) => [`${v.name}/11`, `${v.name}/12`]));
  });

  it('fail with the PlanError of a plan the engine refuses, and end the other thread when closed', async () => {
    const refused = { name: 'canaries only', rings: [{ ...standardRings(1, 9, HOUR)[0]!, hosts: { count: 3 } }], policy: STANDARD_POLICY };
    const threads = new PlanThreads(recipe);
    let aliveAtClose = 0;
    const run = comparePolicies({ ...comparison([variants[0]!, refused]), runs: 1 }, threads.runner, 2).finally(() => {
      aliveAtClose = threads.size;
      return threads.close();
    });
    await expect(run).rejects.toBeInstanceOf(PlanError);
    await expect(run).rejects.toThrow(/397 hosts are in no ring/);
    // The first plan's thread (still running it, or done with it) outlived the refusal: closing ended it.
    expect(aliveAtClose).toBe(1);
    expect(threads.size).toBe(0);
  });

  it('take the number at a time from PATCHLAB_SIMULATE_PLANS_AT_ONCE, and refuse anything but a whole number', () => {
    expect(plansAtOnce({})).toBe(DEFAULT_PLANS_AT_ONCE);
    expect(plansAtOnce({ PATCHLAB_SIMULATE_PLANS_AT_ONCE: '3' })).toBe(3);
    expect(() => plansAtOnce({ PATCHLAB_SIMULATE_PLANS_AT_ONCE: 'two' })).toThrow(/PATCHLAB_SIMULATE_PLANS_AT_ONCE: expected a whole number of plans from 1 up, got "two"/);
  });
});
