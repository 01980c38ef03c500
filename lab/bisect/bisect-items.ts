import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { LabReport } from '../run/report.ts';

/**
 * What `lab bisect` splits: the upgrades of a failing run, one item per source package (its
 * binaries move together, as apt would hold or upgrade them), and each local .deb on its own.
 */
export interface BisectItem {
  /** The source package, or the .deb's file name. */
  label: string;
  packages: { name: string; version: string }[];
  debs: string[];
}

export class BisectInputError extends Error {
  override name = 'BisectInputError';
}

/** Reads a run's report.json: by run id under `runsDir`, or a report folder or file given by path. */
export function loadRunReport(runIdOrPath: string, runsDir: string): { report: LabReport; file: string } {
  const candidates = [join(runsDir, runIdOrPath, 'report.json'), join(runIdOrPath, 'report.json'), runIdOrPath];
  const file = candidates.find((f) => existsSync(f) && statSync(f).isFile());
  if (!file) throw new BisectInputError(`lab bisect: no report of run ${JSON.stringify(runIdOrPath)} (looked for ${candidates[0]}; for a run with --report-dir, give that folder)`);
  let report: LabReport;
  try {
    report = JSON.parse(readFileSync(file, 'utf8')) as LabReport;
  } catch (error) {
    throw new BisectInputError(`${file}: expected a lab run's report.json, which is JSON: ${(error as Error).message}`);
  }
  const field = (ok: boolean, path: string, expected: string) => {
    if (!ok) throw new BisectInputError(`${file}: field ${path}: expected ${expected}`);
  };
  field(typeof report?.runId === 'string', 'runId', 'a run id');
  field(typeof report.image?.name === 'string', 'image.name', 'the image name');
  field(['pass', 'fail', 'error'].includes(report.verdict), 'verdict', '"pass", "fail" or "error"');
  field(Array.isArray(report.patch?.packages) && Array.isArray(report.patch?.debs), 'patch.packages, patch.debs', 'lists');
  return { report, file };
}

/**
 * The items of a failing run. New packages the patch pulled in are not items: apt brings them
 * with whatever upgrade needs them. `debPackages` names the package inside each local .deb, so
 * that a .deb upgrading an installed package is not asked of apt a second time by name.
 */
export function itemsOfRun(report: LabReport, debPackages: ReadonlyMap<string, string> = new Map()): BisectItem[] {
  if (report.verdict !== 'fail') {
    throw new BisectInputError(
      `lab bisect: run ${report.runId} ${report.verdict === 'pass' ? 'passed: nothing to bisect' : 'ended in a lab error, which says nothing about its packages; run it again'}`,
    );
  }
  const fromDebs = new Set(debPackages.values());
  const upgrades = report.patch.packages.filter((p) => p.from !== undefined && !fromDebs.has(p.name));
  const sourceOf = new Map<string, string>();
  for (const advisory of report.advisories ?? []) for (const b of advisory.binaries) sourceOf.set(b.name, advisory.source);
  const bySource = new Map<string, BisectItem>();
  for (const p of upgrades) {
    // Without an advisory (an older report, an uncached package) the source is unknown: the binary is its own item.
    const label = sourceOf.get(p.name) ?? p.name;
    const item = bySource.get(label) ?? { label, packages: [], debs: [] };
    item.packages.push({ name: p.name, version: p.to });
    bySource.set(label, item);
  }
  const items = [...bySource.values(), ...report.patch.debs.map((deb) => ({ label: basename(deb), packages: [], debs: [deb] }))];
  if (items.length === 0) throw new BisectInputError(`lab bisect: run ${report.runId} upgraded no package and installed no .deb: nothing to bisect`);
  return items;
}

/** The words of `lab run --patch` for a subset. */
export function patchWords(items: readonly BisectItem[]): string[] {
  return items.flatMap((i) => [...i.packages.map((p) => `${p.name}=${p.version}`), ...i.debs]);
}
