import type { SourceAdvisory, UpdatedBinary } from '../../lab/advisories/advisory.ts';
import type { LabRunStore } from '../../lab/store/lab-run-store.ts';
import type { PatchPackage } from './lab-run-patches.ts';

/**
 * What a rollout's patch fixes, read once per set of package versions and kept: the versions a
 * rollout installs never change, and reading a changelog means opening a .deb. The lab run that
 * proved the patch read them already (its report carries them); without one, the package cache
 * is asked through `read` (wired by bin/ to the lab's cache), once.
 */
export type ReadAdvisories = (updates: UpdatedBinary[]) => Promise<SourceAdvisory[]>;

export class PatchAdvisories {
  private readonly known = new Map<string, Promise<SourceAdvisory[] | null>>();

  constructor(
    private readonly store: Pick<LabRunStore, 'loadLabRun'>,
    private readonly read?: ReadAdvisories,
    private readonly capacity = 500,
  ) {}

  /** Null when neither a proving run nor the cache can say (no upgrades, nothing wired). */
  of(packages: readonly PatchPackage[], provingRunId: string | null): Promise<SourceAdvisory[] | null> {
    const updates = packages.flatMap((p) => (p.from === undefined ? [] : [{ name: p.name, installed: p.from, candidate: p.to }]));
    const key = updates.map((u) => `${u.name}=${u.installed}>${u.candidate}`).sort().join(' ');
    const cached = this.known.get(key);
    if (cached) return cached;
    // A failed read is not kept: the next page view tries again.
    const found = this.find(updates, provingRunId).catch(() => {
      this.known.delete(key);
      return null;
    });
    this.known.set(key, found);
    for (const oldest of this.known.keys()) {
      if (this.known.size <= this.capacity) break;
      this.known.delete(oldest);
    }
    return found;
  }

  private async find(updates: UpdatedBinary[], provingRunId: string | null): Promise<SourceAdvisory[] | null> {
    if (updates.length === 0) return null;
    const names = new Set(updates.map((u) => u.name));
    const report = provingRunId === null ? undefined : await this.store.loadLabRun(provingRunId);
    const fromRun = report?.advisories?.filter((a) => a.binaries.some((b) => names.has(b.name)));
    if (fromRun && fromRun.length > 0) return fromRun;
    return this.read ? this.read(updates) : null;
  }
}
