import type pg from 'pg';
import { liveEngines } from '../../lab/jobs/worker-liveness.ts';
import type { PackageCache } from '../../lab/patches/cache.ts';
import type { Progress } from '../../lab/progress.ts';
import { askFleetHosts, askPrepare } from '../fleets/jobs/fleet-jobs.ts';
import { JobFleet } from '../fleets/jobs/job-fleet.ts';
import type { Store } from '../store/store.ts';
import { dealHosts, fleetPlan } from './fleet-plan.ts';
import { fleetChecks, storeTag, STORE_LABEL, type NewRolloutOptions, type RolloutMeta } from './new-rollout.ts';
import { patchGates } from './patch-gates.ts';
import type { RolloutPlan } from './rollout-plan.ts';

/**
 * A new rollout on containers, started by a coordinator without a Docker engine: a worker
 * prepares the patch, and the fleet's hosts are dealt round the engines of the live workers, each
 * engine's share started by a worker on it (which registers them under that engine, so their
 * steps go back to a worker there). Both are asked at once, as a local fleet starts while its
 * patch is prepared. The rollout is stored once both answered, with the prepared patch and its
 * sha256 pins in its meta; a failure removes the hosts already started.
 */
export async function newRolloutOnWorkers(id: string, plan: RolloutPlan, store: Store, pool: pg.Pool, cache: PackageCache, options: NewRolloutOptions, progress: Progress) {
  const now = options.now ?? Date.now;
  const engines = await liveEngines(pool, now());
  if (engines.length === 0) throw new Error(`rollout ${id}: no live patchlab worker names its Docker engine; start one (patchlab worker --docker-host URL) to start the fleet's hosts on`);
  const { prefix, planned, stateFor, faults } = fleetPlan(id, plan, now);
  const ids = planned('unpatched').map((h) => h.id);
  const share = dealHosts(ids, engines);
  progress(`rollout ${id}: scenario ${plan.name}, ${ids.length} ${plan.image} hosts on ${share.length} worker engine(s), rings ${plan.rings.map((r) => r.name).join(' → ')}`);
  for (const [host, list] of faults) progress(`fault on ${host}: ${list.map((f) => f.kind).join(', ')}`);
  // A scenario's own check files are refused here, before any worker starts anything.
  if (plan.checks.length > 0) await fleetChecks(plan.checks);
  const latency = plan.faults.find((f) => f.kind === 'latency');
  const advisories = plan.policyRules !== undefined && !plan.severityTyped;
  const preparing = askPrepare(pool, {
    rolloutId: id,
    image: plan.image,
    checks: plan.checks,
    request: options.patch ?? plan.patch,
    ...(options.holds ? { holds: [...options.holds] } : {}),
    ...(options.mirror ? { mirror: options.mirror } : {}),
    faults: { badPackage: plan.faults.some((f) => f.kind === 'bad-package'), latencyMs: latency && 'addMs' in latency ? latency.addMs : 0 },
    advisories,
  });
  const starting = share.map(({ engine, only }) =>
    askFleetHosts(
      pool,
      {
        action: 'start',
        rolloutId: id,
        dockerHost: engine,
        image: plan.image,
        size: ids.length,
        groups: plan.fleet.groups,
        namePrefix: prefix,
        only,
        faults: [...faults],
        labels: { [STORE_LABEL]: storeTag(store) },
      },
      progress,
      now,
    ),
  );
  // Settled together: a failure of one must not leave the others' rejections unhandled, nor their hosts behind.
  const [prepared, ...started] = await Promise.allSettled([preparing, ...starting]);
  try {
    const failed = [prepared, ...started].find((s) => s.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    const answer = (prepared as PromiseFulfilledResult<Awaited<typeof preparing>>).value;
    const patch = answer.prepared!;
    progress(`patch: ${patch.name} as ${patch.version}`);
    const gates = await patchGates(id, plan, patch, {
      cache,
      sightings: store,
      now: now(),
      progress,
      readAdvisories: async () => {
        if (answer.unread !== undefined) throw new Error(answer.unread);
        return answer.advisories ?? [];
      },
    });
    const state = stateFor(patch, gates.ageWait);
    const meta: RolloutMeta = {
      image: answer.image,
      prepared: patch,
      checks: answer.checks,
      faults: [...faults],
      checkIntervalMs: plan.checkIntervalMs,
      policyChoice: gates.policyChoice,
      ...(options.keep ? { keep: true } : {}),
    };
    await store.createRollout({ state, scenario: plan.file, policy: gates.policy, meta: meta as unknown as Record<string, unknown> });
    return { fleet: new JobFleet({ pool, rolloutId: id, hosts: planned(patch.baseVersion) }), meta, policy: gates.policy };
  } catch (error) {
    await removeFleetOnWorkers(pool, id, progress);
    throw error;
  }
}

/**
 * Removes a rollout's hosts from every engine they were registered on, each by a worker on it.
 * An engine no live worker names keeps its hosts, and this says so: nothing else could reach them.
 */
export async function removeFleetOnWorkers(pool: pg.Pool, id: string, progress: Progress, now: () => number = Date.now): Promise<void> {
  const { rows } = await pool.query<{ docker_host: string }>('SELECT DISTINCT docker_host FROM patchlab_fleet_hosts WHERE rollout_id = $1', [id]);
  const live = new Set(await liveEngines(pool, now()));
  const unreached = rows.filter((r) => !live.has(r.docker_host)).map((r) => r.docker_host);
  if (unreached.length > 0) progress(`rollout ${id}: hosts kept on ${unreached.join(', ')}: no live worker is on that engine to remove them`);
  const removing = rows.filter((r) => live.has(r.docker_host)).map((r) => askFleetHosts(pool, { action: 'remove', rolloutId: id, dockerHost: r.docker_host }, progress, now));
  for (const outcome of await Promise.allSettled(removing)) {
    if (outcome.status === 'rejected') progress(`rollout ${id}: ${(outcome.reason as Error).message}`);
  }
}
