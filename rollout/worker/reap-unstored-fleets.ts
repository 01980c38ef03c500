import type Docker from 'dockerode';
import type pg from 'pg';
import { KEEP_LABEL, RUN_LABEL } from '../../lab/hosts/labels.ts';
import type { Progress } from '../../lab/progress.ts';
import { inTransaction } from '../../lab/store/postgres-transaction.ts';
import { storeTag, STORE_LABEL } from '../drive/new-rollout.ts';
import { FLEET_HOST_LABEL } from '../fleets/containers/start-hosts.ts';
import { PREPARE_TASK, FLEET_HOSTS_TASK } from '../fleets/jobs/fleet-jobs.ts';
import type { Store } from '../store/store.ts';
import { judgeUnstoredFleet, type UnstoredFleetFacts } from './unstored-fleets.ts';

export interface ReapContext {
  pool: pg.Pool;
  store: Store;
  docker: Docker;
  /** The engine as this worker names it: the hosts' rows in patchlab_fleet_hosts carry the same. */
  dockerHost: string;
  graceMs: number;
  progress: Progress;
  now: () => number;
}

type Found = Awaited<ReturnType<Docker['listContainers']>>;

/**
 * Removes, from this worker's engine, the fleet hosts of rollouts that were started but never
 * stored (see unstored-fleets.ts). Only containers with every label a rollout's fleet host gets
 * (its rollout, fleet host, keep, and this store's tag) are looked at: anything else on the
 * engine is not this project's to judge. Returns the ids of the rollouts it reaped.
 */
export async function reapUnstoredFleets(context: ReapContext): Promise<string[]> {
  const { docker, store } = context;
  const found = await docker.listContainers({ all: true, filters: { label: [FLEET_HOST_LABEL, KEEP_LABEL, `${STORE_LABEL}=${storeTag(store)}`] } });
  const byRollout = new Map<string, Found>();
  for (const c of found) {
    const id = c.Labels[RUN_LABEL];
    // A fleet host is kept for its own rollout; one whose labels disagree was not made by a fleet start.
    if (id === undefined || c.Labels[KEEP_LABEL] !== id) continue;
    byRollout.set(id, [...(byRollout.get(id) ?? []), c]);
  }
  if (byRollout.size === 0) return [];
  const reaped: string[] = [];
  for (const [rolloutId, containers] of byRollout) {
    const facts = await factsOf(context, rolloutId, containers);
    const verdict = judgeUnstoredFleet(facts, context.now(), context.graceMs);
    if (!verdict.reap) continue;
    // One worker of the engine removes them and says so; another that judged the same finds them gone.
    const removed = await inTransaction(context.pool, async (client) => {
      const { rows } = await client.query<{ mine: boolean }>('SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS mine', [`reap-unstored/${rolloutId}/${context.dockerHost}`]);
      if (!rows[0]?.mine) return [];
      // Judged again under the lock: a coordinator re-run with this id since then owns the fleet again.
      const again = await factsOf(context, rolloutId, await fleetOf(docker, rolloutId, store));
      const still = judgeUnstoredFleet(again, context.now(), context.graceMs);
      if (!still.reap) return [];
      const gone = await fleetOf(docker, rolloutId, store);
      await Promise.all(gone.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true })));
      await client.query('DELETE FROM patchlab_fleet_hosts WHERE rollout_id = $1 AND docker_host = $2', [rolloutId, context.dockerHost]);
      // The dead coordinator's unread answers: a coordinator run again with this id asks afresh.
      await client.query('DELETE FROM patchlab_job_results WHERE owner = $1', [rolloutId]);
      return still.hosts;
    });
    if (removed.length === 0) continue;
    context.progress(
      `removed ${removed.length} host(s) of rollout ${rolloutId} from ${context.dockerHost}: no rollout of that id is stored, no driver holds it, and its start finished at ${new Date(verdict.since).toISOString()}, over ${context.graceMs / 1000} s ago: ${removed.join(', ')}`,
    );
    reaped.push(rolloutId);
  }
  return reaped;
}

const fleetOf = (docker: Docker, rolloutId: string, store: Store) =>
  docker.listContainers({ all: true, filters: { label: [`${RUN_LABEL}=${rolloutId}`, `${KEEP_LABEL}=${rolloutId}`, FLEET_HOST_LABEL, `${STORE_LABEL}=${storeTag(store)}`] } });

async function factsOf(context: ReapContext, rolloutId: string, containers: Found): Promise<UnstoredFleetFacts> {
  const { pool, store } = context;
  const leased = (await store.liveLeases(context.now())).some((l) => l.rolloutId === rolloutId);
  const stored = leased ? false : (await store.loadRollout(rolloutId)) !== undefined;
  // A job still waiting, or running (locked) on its last attempt; one that failed every attempt is done.
  const pending = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM graphile_worker.jobs
     WHERE task_identifier = ANY($1::text[]) AND (key = $2 OR left(key, length($3)) = $3) AND (locked_at IS NOT NULL OR attempts < max_attempts)`,
    [[PREPARE_TASK, FLEET_HOSTS_TASK], `${rolloutId}/prepare`, `${rolloutId}/start-hosts/`],
  );
  const started = await pool.query<{ at: string | null }>('SELECT max(started_at) AS at FROM patchlab_fleet_hosts WHERE rollout_id = $1 AND docker_host = $2', [
    rolloutId,
    context.dockerHost,
  ]);
  return {
    rolloutId,
    hosts: containers.map((c) => ({ hostId: c.Labels[FLEET_HOST_LABEL] ?? c.Id, createdAt: c.Created * 1000 })),
    stored,
    leased,
    startPending: (pending.rows[0]?.n ?? 0) > 0,
    startedAt: started.rows[0]?.at == null ? null : Number(started.rows[0].at),
  };
}

