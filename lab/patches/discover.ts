import { advisoriesFromCache } from '../advisories/cache-advisories.ts';
import type { SourceAdvisory } from '../advisories/advisory.ts';
import { debianMirror } from '../config/mirror.ts';
import { DockerHostProvider } from '../hosts/docker-provider.ts';
import { resolveImage } from '../images/build.ts';
import { newRunId } from '../run/run-id.ts';
import type { PackageCache } from './cache.ts';
import type { CandidatePatch } from './request.ts';

/**
 * Discovery on the real Docker engine: the image's fetcher host, removed before this resolves.
 * The candidates are downloaded into the package cache (as `patches list` does) so that their
 * changelogs can be read: a lab run of them later finds them there.
 */
export function dockerDiscover(cache: PackageCache): (image: string) => Promise<{ candidates: CandidatePatch[]; advisories: SourceAdvisory[] }> {
  return async (name) => {
    const image = await resolveImage(name);
    const fetcher = await cache.openFetcher({
      provider: new DockerHostProvider(),
      image: image.tag,
      runId: newRunId('patches'),
      mirror: debianMirror(image.definition?.suite ?? 'bookworm'),
      // Someone pressed refresh on the patches page: ask the mirror now.
      refreshLists: 'always',
    });
    try {
      const candidates = await fetcher.discover();
      const advisories = await advisoriesFromCache(cache, candidates.map((c) => ({ name: c.name, installed: c.installed, candidate: c.candidate })), fetcher);
      return { candidates, advisories };
    } finally {
      await fetcher.close();
    }
  };
}

