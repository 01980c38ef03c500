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
  progress?: Progress;
  now?: () => number;
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
  startedAt: string;
  finishedAt: string;
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
  steps: { index: number; wave: number; purpose: StepPurpose; items: string[]; outcome?: string; runId?: string; durationMs?: number }[];
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
  const runIds = new Map<number, string>();
  progress(`bisect ${options.bisectId}: run ${original.runId} failed with ${items.length} item(s): ${items.map((i) => i.label).join(', ')}`);
  const result = await findCulprits<BisectItem>({
    items,
    wholeSetFailed: true,
    concurrency: options.concurrency ?? 1,
    now,
    onStep: ({ state, step }) => {
      const what = `step ${step.index} (${step.purpose}, wave ${step.wave}): ${step.subset.map((i) => i.label).join(', ')}`;
      progress(state === 'started' ? `${what} ...` : `${what} -> ${step.outcome}${runIds.get(step.index) ? ` (run ${runIds.get(step.index)})` : ''}`);
    },
    test: async (subset, { index }) => {
      const report = await options.runSubset(patchWords(subset), join(options.dir, `step-${index}`));
      reports.set(index, report);
      runIds.set(index, report.runId);
      if (report.verdict === 'error') {
        throw new Error(`lab bisect: step ${index} (run ${report.runId}, ${subset.map((i) => i.label).join(', ')}) ended in a lab error, which says nothing about the packages: ${report.reasons.join('; ')}`);
      }
      return report.verdict;
    },
  });
  const reportOf = (by: number | 'given') => (by === 'given' ? original : (reports.get(by) as LabReport));
  const culprits = result.culprits.map((culprit, i) => {
    const proof = reportOf(result.provenBy[i] ?? 'given');
    return { items: culprit, runId: proof.runId, breaks: proof.reasons };
  });
  const restRun = typeof result.restProvenBy === 'number' ? reports.get(result.restProvenBy)?.runId : undefined;
  const bisect: LabBisectReport = {
    bisectId: options.bisectId,
    runId: original.runId,
    image: original.image.name,
    startedAt,
    finishedAt: new Date(now()).toISOString(),
    items,
    culprits,
    hold: culprits.flatMap((c) => c.items.flatMap((i) => i.packages.map((p) => p.name))),
    leaveOut: culprits.flatMap((c) => c.items.flatMap((i) => i.debs)),
    rest: { items: result.rest, patch: patchWords(result.rest), ...(restRun ? { runId: restRun } : {}) },
    testsRun: result.testsRun,
    waves: result.waves,
    steps: result.steps.map((s) => ({
      index: s.index,
      wave: s.wave,
      purpose: s.purpose,
      items: s.subset.map((i) => i.label),
      ...(s.outcome ? { outcome: s.outcome } : {}),
      ...(runIds.get(s.index) ? { runId: runIds.get(s.index) } : {}),
      ...(s.durationMs !== undefined ? { durationMs: s.durationMs } : {}),
    })),
  };
  mkdirSync(options.dir, { recursive: true });
  writeFileSync(join(options.dir, 'bisect.json'), `${JSON.stringify(bisect, null, 2)}\n`);
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
