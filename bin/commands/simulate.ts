import { InvalidArgumentError, type Command } from 'commander';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { dataDir } from '../../lab/config/paths.ts';
import { InputError } from '../../lab/config/validation.ts';
import { stderrProgress } from '../../lab/progress.ts';
import { PlanError } from '../../rollout/engine/plan.ts';
import { uniformBreakProbability } from '../../rollout/simulate/arithmetic.ts';
import { comparePolicies, inThisThread, type PolicySummary } from '../../rollout/simulate/compare.ts';
import { simulatedFleet } from '../../rollout/simulate/fleet-hosts.ts';
import { builtInComparison, type PolicyVariant } from '../../rollout/simulate/policies.ts';
import { parsePolicies } from '../../scenarios/policies-file.ts';
import { resolveSettings, type SimulationSettings } from '../../rollout/simulate/settings.ts';
import { patchedOverTimeSvg } from '../../rollout/simulate/svg-plot.ts';
import { formatDuration } from '../../rollout/engine/format.ts';
import { comparisonNotes, comparisonTable } from '../../rollout/simulate/table.ts';
import { demandProblems } from '../../scenarios/fleet.ts';
import { hostLabels } from '../../rollout/fleets/host-labels.ts';
import { loadScenario, type Scenario } from '../../scenarios/load.ts';
import { parseDuration } from '../../lab/config/duration.ts';
import { simulationFields } from '../../scenarios/simulate-schema.ts';
import { PlanThreads, plansAtOnce, planWorkerHosts } from './simulate-workers.ts';

/** Simulated hosts --hosts may ask for: a million through three rings and four policies take seconds (test/bench/RESULTS.md). */
export const MAX_SIMULATED_HOSTS = 1_000_000;

export interface SimulateFlags {
  hosts?: number;
  seed?: number;
  runs?: number;
  policies?: string;
  out?: string;
  tick?: number;
  maxSteps?: number;
  json?: boolean;
}

function wholeNumber(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min.toLocaleString('en')} to ${max.toLocaleString('en')}`);
    }
    return n;
  };
}

function duration(value: string): number {
  const ms = parseDuration(value);
  if (ms === null || ms === 0) throw new InvalidArgumentError('expected a duration such as 30s, 1m or 1h (a whole number then ms, s, m, h or d, above 0)');
  return ms;
}

/** Every policy's plan must fit the simulated fleet; found before any run, named by where the plan came from. */
function checkPlans(scenario: Scenario, variants: readonly PolicyVariant[], hosts: number, fromFile: boolean): void {
  const labels = hostLabels(scenario.fleet, hosts);
  const problems = variants.flatMap((variant, v) => {
    const at = (i: number) =>
      variant.name === 'as written' ? `rings[${i}].hosts` : fromFile ? `policies[${v - 1}].rings[${i}].hosts` : `policy "${variant.name}", ring ${variant.rings[i]?.name ?? i}`;
    return demandProblems(variant.rings, labels, '--hosts', at);
  });
  if (problems.length > 0) throw new InputError(scenario.file, problems);
}

function describeModel(scenario: Scenario, hosts: number, seed: number, runs: number, settings: SimulationSettings): string[] {
  const faults = scenario.faults.length === 0 ? 'none' : scenario.faults.map((f) => f.kind).join(', ');
  const { approveAfterMs, respondAfterMs, onPause } = settings.releaseManager;
  return [
    `scenario ${scenario.name}: ${hosts.toLocaleString('en')} simulated hosts, seed ${seed}${runs > 1 ? ` to ${seed + runs - 1} (${runs} runs per policy)` : ''}, ${scenario.policy.name} policy`,
    `model: patch takes ${formatDuration(settings.patchMedianMs)} (median, spread ${settings.patchSpread}), rollback ${formatDuration(settings.rollbackMedianMs)}; ` +
      `checks every ${formatDuration(scenario.checkIntervalMs)}, ${settings.checkLatencyMs} ms median; engine consulted every ${formatDuration(settings.tickMs)}; ` +
      `release manager approves after ${formatDuration(approveAfterMs)}, answers a pause after ${formatDuration(respondAfterMs)} with ${onPause}`,
    `faults: ${faults}`,
  ];
}

function plotLabel(summary: PolicySummary): string {
  const first = summary.results[0];
  if (!first) return summary.name;
  if (first.outcome === 'stopped') return `${summary.name}: ${first.stopReason?.startsWith('not simulated') ? 'not simulated' : 'stopped'}`;
  const end = first.rollback ? `rolled back during ${first.rollback.ring} at ${formatDuration(first.rollback.atMs)}` : `completed at ${formatDuration(first.durationMs)}`;
  return `${summary.name}: ${end}${first.timeTo95Ms === null ? '' : `, 95 % after ${formatDuration(first.timeTo95Ms)}`}`;
}

export async function simulate(file: string, flags: SimulateFlags): Promise<void> {
  const progress = stderrProgress('simulate');
  const scenario = loadScenario(file);
  const hosts = flags.hosts ?? scenario.fleet.simulate.hosts;
  const seed = flags.seed ?? scenario.fleet.simulate.seed;
  const runs = flags.runs ?? 1;
  const variants = flags.policies
    ? [{ name: 'as written', rings: scenario.rings, policy: scenario.policy }, ...readPolicies(flags.policies, file)]
    : builtInComparison(scenario);
  checkPlans(scenario, variants, hosts, flags.policies !== undefined);
  const settings = resolveSettings(
    simulationFields(scenario.fleet.simulate),
    { hosts, checkIntervalMs: scenario.checkIntervalMs },
    { ...(flags.tick ? { tickMs: flags.tick } : {}), ...(flags.maxSteps ? { maxSteps: flags.maxSteps } : {}) },
  );
  const model = describeModel(scenario, hosts, seed, runs, settings);
  if (!flags.json) for (const line of model) console.log(line);

  const prefix = scenario.image.replace(/[^a-z0-9]+/g, '-');
  const threads = hosts >= planWorkerHosts() ? new PlanThreads({ shape: scenario.fleet, size: hosts, prefix }) : null;
  const runPlan = threads ? threads.runner : inThisThread(simulatedFleet(scenario.fleet, hosts, prefix));
  const started = performance.now();
  // Plans in threads run side by side: each run's own start.
  const runStarted = new Map<string, number>();
  const runKey = (name: string, runSeed: number) => `${name}\u0000${runSeed}`;
  let summaries: PolicySummary[];
  try {
    summaries = await comparePolicies(
      {
        variants,
        faults: scenario.faults,
        checkIntervalMs: scenario.checkIntervalMs,
        settings,
        seed,
        runs,
        patch: { name: scenario.patchWords.join(' '), severity: scenario.severity },
        onRun: ({ variant, seed: runSeed, result }) => {
          if (!result) {
            runStarted.set(runKey(variant.name, runSeed), performance.now());
            return;
          }
          const elapsed = performance.now() - (runStarted.get(runKey(variant.name, runSeed)) ?? started);
          const seconds = (elapsed / 1000).toFixed(1);
          const rate = Math.round(result.work.hostEvents / Math.max(elapsed / 1000, 1e-3)).toLocaleString('en');
          progress(`${variant.name} (seed ${runSeed}): ${result.outcome} in ${seconds} s, ${result.work.engineSteps} engine steps, ${rate} host events/s`);
        },
      },
      runPlan,
      threads ? plansAtOnce() : 1,
    );
  } catch (error) {
    if (error instanceof PlanError) throw new InputError(scenario.file, [...error.problems]);
    throw error;
  } finally {
    await threads?.close();
  }
  progress(`${variants.length} policies × ${runs} run(s) simulated in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const outDir = resolve(flags.out ?? join(dataDir(), 'simulations'));
  mkdirSync(outDir, { recursive: true });
  const plot = join(outDir, `${scenario.name}-${hosts}-hosts-seed-${seed}.svg`);
  const title = `${scenario.name}: hosts on the patch, ${hosts.toLocaleString('en')} simulated hosts, seed ${seed}`;
  writeFileSync(plot, patchedOverTimeSvg(summaries.flatMap((s) => (s.results[0] ? [{ label: plotLabel(s), hosts, ...s.results[0].series }] : [])), title));

  if (flags.json) {
    console.log(JSON.stringify({ scenario: scenario.name, file: scenario.file, hosts, seed, runs, model, settings, policies: summaries, plot }, null, 2));
    return;
  }
  console.log('');
  console.log(comparisonTable(summaries));
  const notes = comparisonNotes(summaries, uniformBreakProbability(scenario.faults));
  if (notes.length > 0) {
    console.log('');
    for (const note of notes) console.log(`- ${note}`);
  }
  console.log('');
  console.log(`plot: ${plot}`);
}

function readPolicies(policiesFile: string, scenarioFile: string): PolicyVariant[] {
  const read = (path: string) => {
    try {
      return readFileSync(path, 'utf8');
    } catch (error) {
      throw new InputError(path, [`cannot read the file: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`]);
    }
  };
  return parsePolicies(read(policiesFile), policiesFile, read(scenarioFile), scenarioFile);
}

export function simulateCommand(program: Command): void {
  program
    .command('simulate')
    .description(
      'run a scenario\'s rollout plan through the real decision engine on a large simulated fleet, and compare policies: ' +
        'time until 95 % of hosts are patched, hosts a bad patch reached before rollback, false rollbacks; writes an SVG plot',
    )
    .argument('<scenario>', 'scenario YAML file, e.g. scenarios/demo.yaml')
    .option('--hosts <n>', `simulated fleet size, up to ${MAX_SIMULATED_HOSTS.toLocaleString('en')} (default: fleet.simulate.hosts)`, wholeNumber(1, MAX_SIMULATED_HOSTS))
    .option('--seed <n>', 'seed of faults, patch times and checks (default: fleet.simulate.seed)', wholeNumber(0, 0xffff_ffff))
    .option('--runs <n>', 'runs per policy, with seeds seed, seed+1, ... (default 1)', wholeNumber(1, 10_000))
    .option('--policies <file>', 'YAML file of policies to compare with the scenario as written (default: rings 1/9/90 and 5/15/80, soak 1 h and 24 h)')
    .option('--out <dir>', 'directory for the SVG plot (default: $PATCHLAB_HOME/simulations)')
    .option('--tick <duration>', 'how often the engine decides, e.g. 1m (default: the check interval; at least 1m from 10,000 hosts)', duration)
    .option('--max-steps <n>', 'engine decisions a run may take before it is stopped (default: no limit; a run also stops at a year of simulated time)', wholeNumber(1, 100_000_000))
    .option('--json', 'print the results as JSON')
    .action(async (file: string, flags: SimulateFlags) => {
      await simulate(file, flags);
    });
}
