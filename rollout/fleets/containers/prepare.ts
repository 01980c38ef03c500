import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DebianMirror } from '../../../lab/config/mirror.ts';
import type { HostProvider } from '../../../lab/hosts/host.ts';
import { shortHash } from '../../../lab/images/hash.ts';
import { installedVersions } from '../../../lab/patches/apply.ts';
import type { PackageCache } from '../../../lab/patches/cache.ts';
import { pinFiles } from '../../../lab/patches/pinned-files.ts';
import { isEmptyPatch, selectPatch, type PatchRequest } from '../../../lab/patches/request.ts';
import { nginxBreakingDeb, nginxLatencyDeb } from '../../../lab/patches/synthetic-deb.ts';
import { silent, type Progress } from '../../../lab/progress.ts';
import { describeHeld, refuseHeldInPlan, withoutHeld, type Hold } from '../../../lab/holds/holds.ts';
import type { PreparedPatch } from './prepared-patch.ts';

export interface PrepareOptions {
  runId: string;
  image: { name: string; tag: string };
  request: PatchRequest;
  provider: HostProvider;
  cache: PackageCache;
  mirror: DebianMirror;
  /** Which synthetic fault packages the fleet needs. */
  faults: { badPackage?: boolean; latencyMs?: number };
  /** Packages kept back: left out of the patch, never installed on a fleet host. */
  holds?: readonly Hold[];
  progress?: Progress;
}

/** Fetches the patch once for the whole fleet and notes what an unpatched host runs. */
export async function preparePatch(options: PrepareOptions): Promise<PreparedPatch> {
  const progress = options.progress ?? silent;
  const fetcher = await options.cache.openFetcher({
    provider: options.provider,
    image: options.image.tag,
    runId: options.runId,
    mirror: options.mirror,
    // The lists a lab run just proved the patch with, when it did so within the window: the same versions reach the fleet.
    refreshLists: 'if-stale',
    progress,
  });
  try {
    const candidates = await fetcher.discover();
    const { selected, held } = withoutHeld(selectPatch(options.request, candidates, options.image.name), options.holds ?? []);
    for (const h of held) progress(`left out: ${describeHeld(h)}`);
    if (isEmptyPatch(selected)) throw new Error(`nothing to roll out: no pending update matches the patch on image ${options.image.name}${held.length > 0 ? ' that is not held' : ''}`);
    const fetched = await fetcher.fetch(selected);
    refuseHeldInPlan(fetched.plan.installs, options.holds ?? []);
    // The fetcher never installs anything: its packages are the image's.
    const baseVersions = Object.fromEntries(await installedVersions(fetcher.host));
    const packages = fetched.plan.installs.map((i) => ({ name: i.name, ...(i.from ? { from: i.from } : {}), to: i.to }));
    const scratch = mkdtempSync(join(tmpdir(), 'patchlab-faults-'));
    const faultDebs: PreparedPatch['faultDebs'] = {};
    if (options.faults.badPackage) faultDebs['bad-package'] = options.cache.addLocalDeb(nginxBreakingDeb(scratch));
    if (options.faults.latencyMs) faultDebs.latency = options.cache.addLocalDeb(nginxLatencyDeb(scratch, options.faults.latencyMs));
    const security = candidates.filter((c) => c.security && packages.some((p) => p.name === c.name)).length;
    return {
      name: `${packages.length} package update${packages.length === 1 ? '' : 's'}${security ? ` (${security} security)` : ''}`,
      version: `patch-${shortHash(packages, 8)}`,
      baseVersion: `base-${shortHash(options.image.tag, 8)}`,
      packages,
      installFiles: fetched.installFiles,
      removals: fetched.plan.removals.map((r) => r.name),
      baseVersions,
      faultDebs,
      ...(held.length > 0 ? { held: held.map(describeHeld) } : {}),
      sha256: { ...fetched.sha256, ...pinFiles(options.cache.root, Object.values(faultDebs)) },
    };
  } finally {
    await fetcher.close();
  }
}
