import { advisoriesFromCache } from '../advisories/cache-advisories.ts';
import type { SourceAdvisory } from '../advisories/advisory.ts';
import { imageMirror, type DebianMirror } from '../config/mirror.ts';
import { DockerHostProvider } from '../hosts/docker-provider.ts';
import { resolveImage, type ResolvedImage } from '../images/build.ts';
import type { Progress } from '../progress.ts';
import { newRunId } from '../run/run-id.ts';
import type { PackageCache } from './cache.ts';
import type { CandidatePatch } from './request.ts';

/** An image's pending updates, and what their changelogs say of them. */
export interface PendingUpdates {
  candidates: CandidatePatch[];
  advisories: SourceAdvisory[];
}

/**
 * Asks the mirror now, on a fetcher host of the image removed before this resolves. With
 * advisories, the kept candidates are downloaded into the package cache so that their changelogs
 * can be read: a lab run of them later finds them there.
 */
export async function discoverPending(
  cache: PackageCache,
  image: ResolvedImage,
  options: { mirror: DebianMirror; advisories: boolean; keep?: (candidate: CandidatePatch) => boolean; progress?: Progress },
): Promise<PendingUpdates> {
  const fetcher = await cache.openFetcher({
    provider: new DockerHostProvider(),
    image: image.tag,
    runId: newRunId('patches'),
    mirror: options.mirror,
    refreshLists: 'always',
    ...(options.progress ? { progress: options.progress } : {}),
  });
  try {
    const candidates = (await fetcher.discover()).filter(options.keep ?? (() => true));
    if (!options.advisories) return { candidates, advisories: [] };
    options.progress?.(`advisories: reading the changelogs of ${candidates.length} candidate(s) from the package cache`);
    const advisories = await advisoriesFromCache(cache, candidates.map((c) => ({ name: c.name, installed: c.installed, candidate: c.candidate })), fetcher);
    return { candidates, advisories };
  } finally {
    await fetcher.close();
  }
}

/** The patches page's discovery: someone pressed refresh, so the mirror is asked now. */
export function dockerDiscover(cache: PackageCache): (image: string) => Promise<PendingUpdates> {
  return async (name) => {
    const image = await resolveImage(name);
    return discoverPending(cache, image, { mirror: imageMirror(image.definition), advisories: true });
  };
}
