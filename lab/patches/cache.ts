import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { DebianMirror } from '../config/mirror.ts';
import { dataDir } from '../config/paths.ts';
import { type HostProvider, type Mount } from '../hosts/host.ts';
import { sha256 } from '../images/hash.ts';
import { silent, type Progress } from '../progress.ts';
import { CACHE_MOUNT, OFFLINE_SOURCES } from './apt-install.ts';
import { debFileName } from './apt-output.ts';
import { DEFAULT_LISTS_MAX_AGE_MS, type RefreshLists } from './list-freshness.ts';
import { PlanMemo } from './plan-memo.ts';
import { Fetcher, type CacheFiles } from './fetcher.ts';

export { CACHE_MOUNT };
export { Fetcher, type FetchedPatch } from './fetcher.ts';

/**
 * The one package cache of the lab. A single fetcher host downloads each .deb once (the new
 * versions and the versions they replace, so a rollback needs no network); every lab host
 * mounts the cache read-only and installs from it, never N downloads for N hosts.
 */
export class PackageCache implements CacheFiles {
  readonly root: string;

  /** PATCHLAB_CACHE lets several data directories (a team's, a test's) share one cache. */
  constructor(root = process.env.PATCHLAB_CACHE || join(dataDir(), 'cache')) {
    this.root = root;
    for (const dir of ['archives/partial', 'lists/partial', 'local', OFFLINE_SOURCES.parts]) mkdirSync(join(root, dir), { recursive: true });
    if (!existsSync(join(root, OFFLINE_SOURCES.list))) writeFileSync(join(root, OFFLINE_SOURCES.list), '');
  }

  /** Mount this on a lab host so it can install from the cache. */
  hostMount(): Mount {
    return { source: this.root, target: CACHE_MOUNT, readOnly: true };
  }

  /** Finds the cached .deb of an exact version, whatever its architecture, as a lab host sees it. */
  cachedDeb(name: string, version: string): string | undefined {
    const file = this.cachedDebName(name, version);
    return file ? `${CACHE_MOUNT}/archives/${file}` : undefined;
  }

  /** The same file on this machine, for reading the package itself (its changelog). */
  cachedDebOnHost(name: string, version: string): string | undefined {
    const file = this.cachedDebName(name, version);
    return file ? join(this.root, 'archives', file) : undefined;
  }

  private cachedDebName(name: string, version: string): string | undefined {
    const prefix = debFileName(name, version, '').replace(/\.deb$/, '');
    return readdirSync(join(this.root, 'archives')).find((f) => f.startsWith(prefix) && f.endsWith('.deb'));
  }

  /** Copies a local .deb into the cache under a content-addressed name. */
  addLocalDeb(path: string): string {
    const name = `${sha256(readFileSync(path)).slice(0, 12)}_${basename(path)}`;
    const target = join(this.root, 'local', name);
    if (!existsSync(target)) copyFileSync(path, target);
    return `${CACHE_MOUNT}/local/${name}`;
  }

  async openFetcher(options: {
    provider: HostProvider;
    image: string;
    runId: string;
    mirror: DebianMirror;
    /** No default: whether a run may reuse recent lists is its caller's decision (a scheduled run must not). */
    refreshLists: RefreshLists;
    listsMaxAgeMs?: number;
    progress?: Progress;
    now?: () => number;
  }): Promise<Fetcher> {
    const host = await options.provider.start({
      image: options.image,
      runId: options.runId,
      role: 'fetcher',
      mounts: [{ source: this.root, target: CACHE_MOUNT }],
    });
    try {
      const fetcher = new Fetcher(this, host, options.progress ?? silent, options.now ?? Date.now, new PlanMemo(join(this.root, 'plans')));
      await fetcher.refresh(options.mirror, options.refreshLists, options.listsMaxAgeMs ?? DEFAULT_LISTS_MAX_AGE_MS);
      return fetcher;
    } catch (error) {
      await host.stop();
      throw error;
    }
  }
}
