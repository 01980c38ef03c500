import type { Fetcher, PackageCache } from '../patches/cache.ts';
import type { SourceAdvisory, UpdatedBinary } from './advisory.ts';
import { readAdvisories } from './read-advisories.ts';

/**
 * Advisories of pending updates from the central package cache. With a fetcher, what is not
 * cached yet is downloaded into it first (once, as every .deb of the lab); without one (a lab
 * run, whose patch is cached already) a package that is missing says so.
 */
export async function advisoriesFromCache(cache: PackageCache, updates: readonly UpdatedBinary[], fetcher?: Fetcher): Promise<SourceAdvisory[]> {
  if (fetcher) {
    // One apt call for all the candidates; on failure each is tried alone below, and the one that fails says why.
    await fetcher.download(updates.map((u) => ({ name: u.name, version: u.candidate }))).catch(() => undefined);
  }
  return readAdvisories(updates, async (name, version) => {
    const cached = cache.cachedDebOnHost(name, version);
    if (cached || !fetcher) return cached;
    await fetcher.download([{ name, version }]).catch(() => undefined);
    return cache.cachedDebOnHost(name, version);
  });
}
