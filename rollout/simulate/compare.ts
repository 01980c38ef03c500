import type { Fault } from '../fleets/faults.ts';
import type { Severity } from '../engine/policy.ts';
import { chanceToCatch, uniformBreakProbability } from './arithmetic.ts';
import type { SimulatedFleet } from './fleet-hosts.ts';
import type { PolicyVariant } from './policies.ts';
import type { SimulationResult } from './result.ts';
import type { SimulationSettings } from './settings.ts';
import { simulateRollout, type SimulationInput } from './simulation.ts';

/** One run of one plan, all but its fleet: what a caller that runs it elsewhere (a worker thread) needs to be told. */
export type PlanRun = Omit<SimulationInput, 'fleet' | 'whileAlive'>;

/** Runs one plan: here, on a fleet built once for all of them, or elsewhere. */
export type PlanRunner = (run: PlanRun) => SimulationResult | Promise<SimulationResult>;

/** Every plan in this thread, on the one fleet. */
export function inThisThread(fleet: SimulatedFleet): PlanRunner {
  return (run) => simulateRollout({ ...run, fleet });
}

export interface ComparisonInput {
  variants: readonly PolicyVariant[];
  faults: readonly Fault[];
  checkIntervalMs: number;
  settings: SimulationSettings;
  /** The first seed; run k uses seed + k. */
  seed: number;
  runs: number;
  patch?: { name: string; severity: Severity };
  /** Told before and after each run, so a caller can show progress and time it. */
  onRun?: (event: { variant: PolicyVariant; seed: number; result?: SimulationResult }) => void;
}

/** A policy's figures over every seed it ran with. */
export interface PolicySummary {
  name: string;
  results: SimulationResult[];
  completed: number;
  rolledBack: number;
  stopped: number;
  /** Runs rolled back, by the ring the rollback was ordered in. */
  rolledBackIn: Record<string, number>;
  /** Median over the runs that reached 95 %, and how many did. */
  timeTo95: { medianMs: number | null; reached: number };
  blastRadius: { mean: number; max: number };
  falseRollbacks: number;
  /**
   * The first ring, what it caught (runs rolled back there) and, when every host breaks with the
   * same probability, what arithmetic says it should catch.
   */
  canary: { ring: string; hosts: number; budget: number; caught: number; expected: number | null };
}

/**
 * Every policy on the same fleet with the same seeds: the same hosts break, take as long to patch,
 * report as late. Up to `parallel` runs at a time (a runner that runs them elsewhere, such as in
 * worker threads, can use several cores), started in order; the summaries do not depend on it.
 */
export async function comparePolicies(input: ComparisonInput, runPlan: PlanRunner, parallel = 1): Promise<PolicySummary[]> {
  const breakProbability = uniformBreakProbability(input.faults);
  const jobs = input.variants.flatMap((variant) => Array.from({ length: input.runs }, (_, run) => ({ variant, seed: (input.seed + run) >>> 0 })));
  const results = new Array<SimulationResult>(jobs.length);
  let next = 0;
  const lane = async () => {
    while (next < jobs.length) {
      const k = next++;
      const { variant, seed } = jobs[k]!;
      input.onRun?.({ variant, seed });
      const run = {
        name: variant.name,
        rings: variant.rings,
        policy: variant.policy,
        checkIntervalMs: input.checkIntervalMs,
        faults: input.faults,
        seed,
        settings: input.settings,
        ...(input.patch ? { patch: input.patch } : {}),
      };
      const result = await Promise.resolve(runPlan(run)).catch((error: unknown) => {
        next = jobs.length; // no lane starts another run once one failed
        throw error;
      });
      input.onRun?.({ variant, seed, result });
      results[k] = result;
    }
  };
  // Each lane handles its own failure: Promise.all settles on the first and still listens to the rest.
  await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, jobs.length)) }, lane));
  return input.variants.map((variant, v) => summarize(variant.name, results.slice(v * input.runs, (v + 1) * input.runs), breakProbability));
}

export function summarize(name: string, results: readonly SimulationResult[], breakProbability: number | null): PolicySummary {
  const first = results[0]?.rings[0];
  const rolledBackIn: Record<string, number> = {};
  for (const r of results) if (r.rollback) rolledBackIn[r.rollback.ring] = (rolledBackIn[r.rollback.ring] ?? 0) + 1;
  const reached = results.flatMap((r) => (r.timeTo95Ms === null ? [] : [r.timeTo95Ms])).sort((a, b) => a - b);
  const radii = results.map((r) => r.blastRadius);
  return {
    name,
    results: [...results],
    completed: results.filter((r) => r.outcome === 'completed').length,
    rolledBack: results.filter((r) => r.outcome === 'rolled-back').length,
    stopped: results.filter((r) => r.outcome === 'stopped').length,
    rolledBackIn,
    timeTo95: { medianMs: reached.length === 0 ? null : median(reached), reached: reached.length },
    blastRadius: { mean: radii.reduce((a, b) => a + b, 0) / Math.max(radii.length, 1), max: Math.max(0, ...radii) },
    falseRollbacks: results.filter((r) => r.falseRollback).length,
    canary: {
      ring: first?.name ?? '',
      hosts: first?.hosts ?? 0,
      budget: first?.failureBudget ?? 0,
      caught: first ? (rolledBackIn[first.name] ?? 0) : 0,
      expected: breakProbability === null || !first ? null : chanceToCatch(first.hosts, breakProbability, first.failureBudget),
    },
  };
}

function median(sorted: readonly number[]): number {
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
