import type { CheckStatus } from '../checks/types.ts';
import type { Verdict } from '../run/verdict.ts';
import type { PackageVersion, ScheduleRunRecord } from './schedule-store.ts';

export type { PackageVersion };

/** One image's lab run as a scheduled run stores it; `checks` are the patched host's results. */
export interface StoredRun {
  runId: string;
  at: number;
  image: string;
  verdict: Verdict;
  patches: readonly PackageVersion[];
  checks: readonly { id: string; name: string; status: CheckStatus }[];
}

export interface RunFlag {
  runId: string;
  at: number;
  verdict: Verdict;
  /** Failed, and the image's previous pass-or-fail run passed. */
  regression: boolean;
}

export interface CheckBreak {
  checkId: string;
  checkName: string;
  /** The first run in which the check failed after passing. */
  runId: string;
  at: number;
  /** The last run before it in which the check passed. */
  lastPassRunId: string;
  /** Packages in the breaking run that the passing run did not have; empty hints at a flaky check. */
  suspects: PackageVersion[];
}

export interface ImageHistory {
  image: string;
  runs: RunFlag[];
  firstBreaks: CheckBreak[];
}

/** A schedule's stored runs as the history judges them: one per image of each run. */
export function storedRunsOf(runs: readonly ScheduleRunRecord[]): StoredRun[] {
  return runs.flatMap((run) =>
    run.images.map((i) => ({ runId: i.runId ?? `${run.schedule}@${run.startedAt}`, at: run.startedAt, image: i.image, verdict: i.verdict, patches: i.patches, checks: i.checks })),
  );
}

const key = (p: PackageVersion) => `${p.name}=${p.version}`;

/**
 * Per image, in time order: regression flags and which packages first broke which check. Runs
 * and checks in error tell nothing about the patch, so comparisons skip them and look at the last
 * run that did judge: pass, error, fail is a regression, and blames what changed since the pass.
 */
export function imageHistories(runs: readonly StoredRun[]): ImageHistory[] {
  const byImage = new Map<string, StoredRun[]>();
  for (const run of [...runs].sort((a, b) => a.at - b.at)) {
    const list = byImage.get(run.image) ?? [];
    list.push(run);
    byImage.set(run.image, list);
  }
  return [...byImage.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([image, imageRuns]) => ({ image, runs: flagRegressions(imageRuns), firstBreaks: firstBreaks(imageRuns) }));
}

function flagRegressions(runs: readonly StoredRun[]): RunFlag[] {
  let lastJudged: Verdict | undefined;
  return runs.map((run) => {
    const regression = run.verdict === 'fail' && lastJudged === 'pass';
    if (run.verdict !== 'error') lastJudged = run.verdict;
    return { runId: run.runId, at: run.at, verdict: run.verdict, regression };
  });
}

function firstBreaks(runs: readonly StoredRun[]): CheckBreak[] {
  const lastJudged = new Map<string, { status: 'pass' | 'fail'; run: StoredRun }>();
  const broken = new Map<string, CheckBreak>();
  for (const run of runs) {
    for (const check of run.checks) {
      if (check.status !== 'pass' && check.status !== 'fail') continue;
      const previous = lastJudged.get(check.id);
      if (check.status === 'fail' && previous?.status === 'pass' && !broken.has(check.id)) {
        const before = new Set(previous.run.patches.map(key));
        broken.set(check.id, {
          checkId: check.id,
          checkName: check.name,
          runId: run.runId,
          at: run.at,
          lastPassRunId: previous.run.runId,
          suspects: run.patches.filter((p) => !before.has(key(p))),
        });
      }
      lastJudged.set(check.id, { status: check.status, run });
    }
  }
  return [...broken.values()];
}

/**
 * What became upgradable since the last run: candidates that are new, or whose candidate version
 * changed. With no previous run, everything is new.
 */
export function newlyUpgradable<C extends { name: string; candidate: string }>(
  previous: readonly { name: string; candidate: string }[],
  current: readonly C[],
): C[] {
  const seen = new Set(previous.map((c) => `${c.name}=${c.candidate}`));
  return current.filter((c) => !seen.has(`${c.name}=${c.candidate}`));
}
