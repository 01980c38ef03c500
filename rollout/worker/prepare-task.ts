import type pg from 'pg';
import { advisoriesFromCache } from '../../lab/advisories/cache-advisories.ts';
import { imageMirror } from '../../lab/config/mirror.ts';
import { dockerClientFor } from '../../lab/hosts/docker-client.ts';
import { DockerHostProvider } from '../../lab/hosts/docker-provider.ts';
import { resolveImage } from '../../lab/images/build.ts';
import { putResult } from '../../lab/jobs/job-results.ts';
import { keepMirrorlessFiles } from '../../lab/jobs/prepared-files.ts';
import type { PackageCache } from '../../lab/patches/cache.ts';
import { PatchRequestError } from '../../lab/patches/request.ts';
import type { Progress } from '../../lab/progress.ts';
import { checkFilesFor } from '../../lab/run/check-suite.ts';
import { preparePatch } from '../fleets/containers/prepare.ts';
import type { PrepareAnswer, PreparePayload } from '../fleets/jobs/fleet-jobs.ts';

/** A patch nobody can roll out fails the same way on every worker: an answer, not a retry. */
const isTheRequests = (error: unknown) => error instanceof PatchRequestError || /^nothing to roll out/.test((error as Error).message);

/**
 * A worker's side of a rollout's preparation: the same preparePatch a coordinator with an engine
 * runs, on this worker's engine and into its cache, with the advisories read there too (they are
 * the changelogs of the .debs in that cache).
 */
export function prepareTask(context: { pool: pg.Pool; cache: PackageCache; dockerHost: string; progress: Progress; now?: () => number }) {
  const now = context.now ?? Date.now;
  return async (payload: PreparePayload): Promise<void> => {
    const docker = dockerClientFor(context.dockerHost);
    const image = await resolveImage(payload.image, { docker, progress: context.progress });
    const answer: PrepareAnswer = {
      image: { name: payload.image, tag: image.tag },
      checks: payload.checks.length > 0 ? payload.checks : checkFilesFor(image.definition).filter((f) => /\.ya?ml$/.test(f)),
    };
    context.progress(`prepare the patch of rollout ${payload.rolloutId}: started`);
    try {
      answer.prepared = await preparePatch({
        runId: payload.rolloutId,
        image: answer.image,
        request: payload.request,
        provider: new DockerHostProvider(docker),
        cache: context.cache,
        mirror: imageMirror(image.definition, payload.mirror),
        faults: payload.faults,
        ...(payload.holds ? { holds: payload.holds } : {}),
        progress: context.progress,
      });
    } catch (error) {
      if (!isTheRequests(error)) throw error;
      answer.error = (error as Error).message;
    }
    // Files no mirror has reach workers with other caches through the database (prepared-files.ts).
    if (answer.prepared?.sha256) {
      const kept = await keepMirrorlessFiles(context.pool, context.cache.root, answer.prepared.sha256, now());
      if (kept.length > 0) context.progress(`rollout ${payload.rolloutId}: ${kept.length} pinned file(s) no mirror has, kept in the database for other workers' caches`);
    }
    if (answer.prepared && payload.advisories) {
      const upgrades = answer.prepared.packages.flatMap((p) => (p.from ? [{ name: p.name, installed: p.from, candidate: p.to }] : []));
      await advisoriesFromCache(context.cache, upgrades).then(
        (advisories) => (answer.advisories = advisories),
        (error: Error) => (answer.unread = error.message),
      );
    }
    await putResult(context.pool, payload.key, payload.rolloutId, answer, now());
    context.progress(`prepare the patch of rollout ${payload.rolloutId}: ${answer.prepared ? `${answer.prepared.name} as ${answer.prepared.version}` : answer.error}`);
  };
}
