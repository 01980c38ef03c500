import type { LabRunStore, LabRunSummary } from '../../lab/store/lab-run-store.ts';

/*
 * What each lab run patched, read from its stored report once and kept: a report is written once
 * at the end of its run, and the lab runs list and every rollout page ask for the same few.
 */

export interface PatchPackage {
  name: string;
  from?: string;
  to: string;
}

/** Just the name and versions of a package as a report or a rollout's meta lists it. */
export function patchPackage({ name, from, to }: PatchPackage): PatchPackage {
  return from === undefined ? { name, to } : { name, from, to };
}

export interface RunPatch {
  /** What the run was asked to patch: "tzdata", "security". */
  request: string[];
  packages: PatchPackage[];
}

export class LabRunPatches {
  private readonly cache = new Map<string, RunPatch | null>();

  constructor(
    private readonly store: Pick<LabRunStore, 'loadLabRun' | 'listLabRuns'>,
    /** Reports kept; the oldest read goes first. */
    private readonly capacity = 1000,
  ) {}

  /** The run's patch; null when its report is gone. Saving a run again gives it a new start, so its key. */
  async of(run: LabRunSummary): Promise<RunPatch | null> {
    const key = `${run.runId}\u0000${run.startedAt}`;
    if (this.cache.has(key)) return this.cache.get(key) ?? null;
    const report = await this.store.loadLabRun(run.runId);
    const patch = report ? { request: report.patch.request, packages: report.patch.packages.map(patchPackage) } : null;
    this.cache.set(key, patch);
    for (const oldest of this.cache.keys()) {
      if (this.cache.size <= this.capacity) break;
      this.cache.delete(oldest);
    }
    return patch;
  }

  /** Every run's patch, in the order given. */
  async all(runs: readonly LabRunSummary[]): Promise<Map<string, RunPatch | null>> {
    return new Map(await Promise.all(runs.map(async (run) => [run.runId, await this.of(run)] as const)));
  }

  /** Among the image's latest `limit` runs (`compared`), those that installed exactly these package versions. */
  async provingRuns(image: string, packages: readonly PatchPackage[], limit: number): Promise<{ matching: LabRunSummary[]; compared: number }> {
    const wanted = versionSet(packages);
    const runs = await this.store.listLabRuns({ image, limit });
    const patches = await this.all(runs);
    const matching = runs.filter((run) => {
      const patch = patches.get(run.runId);
      return patch !== null && patch !== undefined && versionSet(patch.packages) === wanted;
    });
    return { matching, compared: runs.length };
  }
}

function versionSet(packages: readonly PatchPackage[]): string {
  return packages
    .map((p) => `${p.name}=${p.to}`)
    .sort()
    .join(' ');
}
