import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readDebIdentity } from '../advisories/deb-changelog.ts';
import { silent, type Progress } from '../progress.ts';
import type { LabReport } from '../run/report.ts';
import { BisectInputError, itemsOfRun, patchWords, type BisectItem } from './bisect-items.ts';
import { findCulprits, type StepPurpose } from './culprit-search.ts';

/** Runs the lab on one subset; `lab bisect` passes runLabOnImage, a test a stand-in. */
export type SubsetRun = (patch: string[], reportDir: string) => Promise<LabReport>;

export interface LabBisectOptions {
  bisectId: string;
  /** The failing run to bisect. */
  report: LabReport;
  runSubset: SubsetRun;
  /** Where bisect.json and each step's report go. */
  dir: string;
  concurrency?: number;
  /** Lab runs allowed in all; the bisection stops, saying so, before it would start one more. */
  maxLabRuns?: number;
  /** Called with the bisection as it stands at each step and at its end (in order, one at a time): to store it for the page. */
  onUpdate?: (report: LabBisectReport) => Promise<void>;
  progress?: Progress;
  now?: () => number;
}

/** The bisection stopped before it would start more lab runs than it was allowed. */
export class BisectLimitError extends Error {
  override name = 'BisectLimitError';
}

export interface BisectCulprit {
  items: BisectItem[];
  /** The run that saw these alone fail, and why it failed (the checks they break). */
  runId: string;
  breaks: string[];
}

export interface LabBisectReport {
  bisectId: string;
  runId: string;
  image: string;
  /** Running until it ends; 'stopped' when a lab error or the limit of lab runs ended it (`error` says which). */
  status: 'running' | 'finished' | 'stopped';
  startedAt: string;
  finishedAt?: string;
  error?: string;
  /** The limit of lab runs it had, if any. */
  maxLabRuns?: number;
  items: BisectItem[];
  culprits: BisectCulprit[];
  /** Binary packages to hold (apt-mark hold): the culprits' upgrades. */
  hold: string[];
  /** The culprits' local .debs: not to be installed. */
  leaveOut: string[];
  /** Everything else, and the run that proves it passes (absent when nothing is left). */
  rest: { items: BisectItem[]; patch: string[]; runId?: string };
  testsRun: number;
  waves: number;
  steps: BisectStepRecord[];
}

export interface BisectStepRecord {
  index: number;
  wave: number;
  purpose: StepPurpose;
  items: string[];
  /** Absent while its lab run runs. */
  outcome?: string;
  runId?: string;
  durationMs?: number;
}

/**
 * Finds which source packages of a failing run break it, by lab runs on subsets, and proves the
 * rest passes. The run being bisected counts as the failing whole set: it is not run again.
 */
export async function bisectRun(options: LabBisectOptions): Promise<LabBisectReport> {
  const now = options.now ?? Date.now;
  const progress = options.progress ?? silent;
  const startedAt = new Date(now()).toISOString();
  const original = options.report;
  for (const deb of original.patch.debs) {
    if (!existsSync(deb)) throw new BisectInputError(`lab bisect: the .deb ${deb} of run ${original.runId} is gone; bisect installs it again, so it must stay where it was`);
  }
  const debPackages = new Map<string, string>();
  for (const deb of original.patch.debs) debPackages.set(deb, (await readDebIdentity(deb)).package);
  const items = itemsOfRun(original, debPackages);
  const reports = new Map<number, LabReport>();
  const steps = new Map<number, BisectStepRecord>();
  const base = {
    bisectId: options.bisectId,
    runId: original.runId,
    image: original.image.name,
    startedAt,
    ...(options.maxLabRuns !== undefined ? { maxLabRuns: options.maxLabRuns } : {}),
    items,
  };
  const sofar = (): LabBisectReport => {
    const list = [...steps.values()].sort((a, b) => a.index - b.index);
    return { ...base, status: 'running', culprits: [], hold: [], leaveOut: [], rest: { items: [], patch: [] }, testsRun: list.length, waves: Math.max(0, ...list.map((s) => s.wave)), steps: list };
  };
  // Saves one after another, so an older picture never lands after a newer one; a failed save is said, not fatal.
  let saving = Promise.resolve();
  const save = (report: LabBisectReport) => {
    const update = options.onUpdate;
    if (!update) return saving;
    saving = saving.then(() => update(report)).catch((error: Error) => progress(`bisect ${options.bisectId}: not saved: ${error.message}`));
    return saving;
  };
  progress(`bisect ${options.bisectId}: run ${original.runId} failed with ${items.length} item(s): ${items.map((i) => i.label).join(', ')}`);
  await save(sofar());
  let result;
  try {
    result = await findCulprits<BisectItem>({
      items,
      wholeSetFailed: true,
      concurrency: options.concurrency ?? 1,
      now,
      onStep: ({ state, step }) => {
        const runId = reports.get(step.index)?.runId;
        steps.set(step.index, {
          index: step.index,
          wave: step.wave,
          purpose: step.purpose,
          items: step.subset.map((i) => i.label),
          ...(step.outcome ? { outcome: step.outcome } : {}),
          ...(runId ? { runId } : {}),
          ...(step.durationMs !== undefined ? { durationMs: step.durationMs } : {}),
        });
        void save(sofar());
        const what = `step ${step.index} (${step.purpose}, wave ${step.wave}): ${step.subset.map((i) => i.label).join(', ')}`;
        progress(state === 'started' ? `${what} ...` : `${what} -> ${step.outcome}${runId ? ` (run ${runId})` : ''}`);
      },
      test: async (subset, { index }) => {
        if (options.maxLabRuns !== undefined && index > options.maxLabRuns) {
          throw new BisectLimitError(`lab bisect: stopped before lab run ${index}: at most ${options.maxLabRuns} lab run(s) allowed`);
        }
        const report = await options.runSubset(patchWords(subset), join(options.dir, `step-${index}`));
        reports.set(index, report);
        if (report.verdict === 'error') {
          throw new Error(`lab bisect: step ${index} (run ${report.runId}, ${subset.map((i) => i.label).join(', ')}) ended in a lab error, which says nothing about the packages: ${report.reasons.join('; ')}`);
        }
        return report.verdict;
      },
    });
  } catch (error) {
    // A step that never started its lab run goes; one whose run ended in a lab error shows that run.
    for (const step of steps.values()) {
      const report = reports.get(step.index);
      if (step.outcome !== undefined) continue;
      if (report) steps.set(step.index, { ...step, outcome: report.verdict, runId: report.runId });
      else steps.delete(step.index);
    }
    await save({ ...sofar(), status: 'stopped', finishedAt: new Date(now()).toISOString(), error: (error as Error).message });
    throw error;
  }
  const reportOf = (by: number | 'given') => (by === 'given' ? original : (reports.get(by) as LabReport));
  const culprits = result.culprits.map((culprit, i) => {
    const proof = reportOf(result.provenBy[i] ?? 'given');
    return { items: culprit, runId: proof.runId, breaks: proof.reasons };
  });
  const restRun = typeof result.restProvenBy === 'number' ? reports.get(result.restProvenBy)?.runId : undefined;
  const bisect: LabBisectReport = {
    ...sofar(),
    status: 'finished',
    finishedAt: new Date(now()).toISOString(),
    culprits,
    hold: culprits.flatMap((c) => c.items.flatMap((i) => i.packages.map((p) => p.name))),
    leaveOut: culprits.flatMap((c) => c.items.flatMap((i) => i.debs)),
    rest: { items: result.rest, patch: patchWords(result.rest), ...(restRun ? { runId: restRun } : {}) },
    testsRun: result.testsRun,
    waves: result.waves,
  };
  mkdirSync(options.dir, { recursive: true });
  writeFileSync(join(options.dir, 'bisect.json'), `${JSON.stringify(bisect, null, 2)}\n`);
  await save(bisect);
  return bisect;
}

/** What the terminal shows. Pure. */
export function summarizeBisect(bisect: LabBisectReport): string {
  const lines = [`bisect ${bisect.bisectId} of run ${bisect.runId} (image ${bisect.image}): ${bisect.items.length} item(s), ${bisect.testsRun} lab run(s) in ${bisect.waves} wave(s)`];
  if (bisect.culprits.length === 0) lines.push('no culprit: every subset tried passes');
  for (const c of bisect.culprits) {
    const what = c.items.map((i) => `${i.label}${i.packages.length ? ` (${i.packages.map((p) => `${p.name} ${p.version}`).join(', ')})` : ''}`).join(' + ');
    lines.push(`culprit: ${what}`, `  fails alone in run ${c.runId}:`, ...c.breaks.map((b) => `    - ${b}`));
  }
  if (bisect.hold.length > 0) lines.push(`proposed hold: apt-mark hold ${bisect.hold.join(' ')}`);
  if (bisect.leaveOut.length > 0) lines.push(`leave out: ${bisect.leaveOut.join(' ')}`);
  if (bisect.rest.items.length === 0) lines.push('rest: nothing left to patch');
  else lines.push(`rest passes${bisect.rest.runId ? ` in run ${bisect.rest.runId}` : ''}: --patch ${bisect.rest.patch.join(',')}`);
  return lines.join('\n');
}
