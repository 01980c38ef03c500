import type Docker from 'dockerode';
import type pg from 'pg';
import { dockerClientFor } from '../../lab/hosts/docker-client.ts';
import { resolveImage } from '../../lab/images/build.ts';
import type { PackageCache } from '../../lab/patches/cache.ts';
import type { Progress } from '../../lab/progress.ts';
import type { CheckSuite } from '../../lab/run/lab-run.ts';
import { fleetChecks, type RolloutMeta } from '../drive/new-rollout.ts';
import { ContainerFleet } from '../fleets/containers/container-fleet.ts';
import type { HostStepPayload } from '../fleets/jobs/host-steps.ts';
import { putResult } from '../../lab/jobs/job-results.ts';
import type { Store } from '../store/store.ts';
import { PinMismatchError } from '../../lab/patches/cache-fill.ts';
import { PlanFiles } from './plan-files.ts';

export interface HostStepContext {
  pool: pg.Pool;
  store: Store;
  cache: PackageCache;
  progress: Progress;
  now?: () => number;
}

/**
 * A worker's side of a host step: find the host on the engine it lives on, do the step with the
 * container fleet's own code, and store the answer. Safe to run again after a worker died mid-step:
 * the container fleet waits for an install still running in the host and never installs a patch
 * the host already has (its dpkg database is the record), so a retried patch never runs apt twice.
 * A host's own failure is an answer; only a failure to reach the host or the database throws,
 * and the queue tries again.
 */
export function hostStepTask(context: HostStepContext): (payload: HostStepPayload) => Promise<void> {
  const suites = new Map<string, Promise<CheckSuite>>();
  const engines = new Map<string, Docker>();
  const planFiles = new PlanFiles(context.pool, context.cache, context.progress);
  const now = context.now ?? Date.now;
  return async (payload) => {
    const { rolloutId, hostId, step, key } = payload;
    const record = await context.store.loadRollout(rolloutId);
    if (!record) throw new Error(`${step} of ${hostId}: no rollout ${rolloutId} in the store`);
    const meta = record.meta as unknown as RolloutMeta;
    const { rows } = await context.pool.query<{ docker_host: string }>('SELECT docker_host FROM patchlab_fleet_hosts WHERE rollout_id = $1 AND host_id = $2', [
      rolloutId,
      hostId,
    ]);
    const url = rows[0]?.docker_host;
    if (url === undefined) throw new Error(`${step} of ${hostId}: rollout ${rolloutId} names no Docker engine for it`);
    let docker = engines.get(url);
    if (!docker) engines.set(url, (docker = dockerClientFor(url)));
    let checks = suites.get(rolloutId);
    if (!checks) suites.set(rolloutId, (checks = fleetChecks(meta.checks)));
    const image = await resolveImage(meta.image.name, { docker });
    const fleet = await ContainerFleet.attach(
      { rolloutId, image, prepared: meta.prepared, cache: context.cache, checks: await checks, faults: new Map(meta.faults), docker },
      hostId,
    );
    if (fleet.hosts().length === 0) throw new Error(`${step} of ${hostId}: no container of rollout ${rolloutId} on ${url}`);
    context.progress(`${step} ${hostId} (rollout ${rolloutId}): started`);
    if (step !== 'check') await planFiles.noteHostView(docker, rolloutId, hostId);
    const refused = step === 'check' ? undefined : await refusal(planFiles.ensure(rolloutId, meta.prepared, image, docker), step);
    const answer = refused
      ? ({ type: 'patch-failed', hostId, version: fleet.hosts()[0]?.version ?? meta.prepared.baseVersion, reason: refused } as const)
      : step === 'patch'
        ? await fleet.patch(hostId)
        : step === 'rollback'
          ? await fleet.rollback(hostId)
          : await fleet.check(hostId);
    await putResult(context.pool, key, rolloutId, answer, now());
    context.progress(`${step} ${hostId} (rollout ${rolloutId}): ${'type' in answer ? answer.type : 'checked'}`);
  };
}

/**
 * A patch from a cache whose bytes are not the pinned ones is the host's failure, with the reason
 * (the ring's budget decides); any other failure to fill the cache throws, and the queue tries again.
 */
async function refusal(filled: Promise<void>, step: 'patch' | 'rollback'): Promise<string | undefined> {
  try {
    await filled;
    return undefined;
  } catch (error) {
    if (error instanceof PinMismatchError && step === 'patch') return error.message;
    throw error;
  }
}
