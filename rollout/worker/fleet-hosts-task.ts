import type pg from 'pg';
import { dockerClientFor } from '../../lab/hosts/docker-client.ts';
import { RUN_LABEL } from '../../lab/hosts/labels.ts';
import { resolveImage } from '../../lab/images/build.ts';
import { putResult } from '../../lab/jobs/job-results.ts';
import type { PackageCache } from '../../lab/patches/cache.ts';
import type { Progress } from '../../lab/progress.ts';
import { FLEET_HOST_LABEL, startFleetHosts } from '../fleets/containers/start-hosts.ts';
import type { FleetHostsPayload } from '../fleets/jobs/fleet-jobs.ts';
import { registerFleetHosts } from '../fleets/jobs/job-fleet.ts';

/**
 * A worker's side of a rollout's fleet on its own engine: start the hosts the coordinator gave
 * this engine and register them under it (so their steps come back here), or remove them all
 * when the rollout is over. A start tried again after a worker died mid-start begins afresh: the
 * rollout is not stored yet, so no host of it has been patched.
 */
export function fleetHostsTask(context: { pool: pg.Pool; cache: PackageCache; dockerHost: string; progress: Progress; now?: () => number }) {
  const now = context.now ?? Date.now;
  return async (payload: FleetHostsPayload): Promise<void> => {
    const { rolloutId, dockerHost } = payload;
    // The queue routes by the engine's flag; this guards against two spellings that hash alike by chance.
    if (dockerHost !== context.dockerHost) throw new Error(`hosts of rollout ${rolloutId} are for ${dockerHost}, and this worker is on ${context.dockerHost}`);
    const docker = dockerClientFor(dockerHost);
    const found = await docker.listContainers({ all: true, filters: { label: [`${RUN_LABEL}=${rolloutId}`, FLEET_HOST_LABEL] } });
    const wanted = payload.action === 'start' ? new Set(payload.only) : undefined;
    const stale = found.filter((c) => !wanted || wanted.has(c.Labels[FLEET_HOST_LABEL] ?? ''));
    await Promise.all(stale.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true })));
    let hosts: string[];
    if (payload.action === 'start') {
      const image = await resolveImage(payload.image, { docker, progress: context.progress });
      const started = await startFleetHosts({ ...payload, image, cache: context.cache, faults: new Map(payload.faults), docker, progress: context.progress });
      hosts = [...started.keys()];
      await registerFleetHosts(context.pool, rolloutId, hosts.map((hostId) => ({ hostId, dockerHost })), now());
    } else {
      hosts = stale.map((c) => c.Labels[FLEET_HOST_LABEL] ?? c.Id);
      await context.pool.query('DELETE FROM patchlab_fleet_hosts WHERE rollout_id = $1 AND docker_host = $2', [rolloutId, dockerHost]);
    }
    await putResult(context.pool, payload.key, rolloutId, { hosts }, now());
    context.progress(`${payload.action} hosts of rollout ${rolloutId}: ${hosts.join(', ') || 'none'}`);
  };
}
