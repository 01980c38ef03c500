import { debianMirror } from '../config/mirror.ts';
import { DockerHostProvider } from '../hosts/docker-provider.ts';
import { resolveImage } from '../images/build.ts';
import { newRunId } from '../run/run-id.ts';
import type { PackageCache } from './cache.ts';
import type { CandidatePatch } from './request.ts';

/** Discovery on the real Docker engine: the image's fetcher host, removed before this resolves. */
export function dockerDiscover(cache: PackageCache): (image: string) => Promise<CandidatePatch[]> {
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
      return await fetcher.discover();
    } finally {
      await fetcher.close();
    }
  };
}

