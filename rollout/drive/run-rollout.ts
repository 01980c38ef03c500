import type { Hold } from '../../lab/holds/holds.ts';
import type { Notification } from '../../lab/notify/notification.ts';
import { dockerStartup } from '../../lab/hosts/startup.ts';
import { resolveImage } from '../../lab/images/build.ts';
import { PackageCache } from '../../lab/patches/cache.ts';
import type { PatchRequest } from '../../lab/patches/request.ts';
import { silent, type Progress } from '../../lab/progress.ts';
import { newRunId } from '../../lab/run/run-id.ts';
import type { Decision } from '../engine/decision.ts';
import { healthSamplesOf } from '../engine/health-samples.ts';
import type { Observation } from '../engine/observations.ts';
import { isTerminal } from '../engine/phase.ts';
import type { RolloutPolicy } from '../engine/policy.ts';
import type { RolloutState } from '../engine/state.ts';
import { ContainerFleet } from '../fleets/containers/container-fleet.ts';
import type { Fleet } from '../fleets/fleet.ts';
import { JobFleet } from '../fleets/jobs/job-fleet.ts';
import { workerEnginesOf } from '../fleets/jobs/job-store.ts';
import { STALE_MS } from '../../lab/jobs/worker-liveness.ts';
import { engineOf } from '../../lab/jobs/engine-routing.ts';
import { openWorkQueue, type WorkQueue } from '../../lab/jobs/work-queue.ts';
import { runnerStore } from '../store/runner-store.ts';
import { DATABASE_URL_VARIABLE, openConfiguredStore } from '../store/open-store.ts';
import type { Store } from '../store/store.ts';
import { hostsGone } from '../engine/hosts-gone.ts';
import { giveCommand, storeStep } from './control.ts';
import { HeldLease, isLeaseLost, recordTakeOver, type LeaseSettings } from './driver-lease.ts';
import { fleetChecks, newRollout, reapFinishedFleets, type RolloutMeta } from './new-rollout.ts';
import type { RolloutPlan } from './rollout-plan.ts';
import type { StoredRollout } from '../store/rollout-store.ts';
import { rolloutNotification } from './rollout-notification.ts';
import { newRolloutOnWorkers, removeFleetOnWorkers } from './new-rollout-on-workers.ts';
import { driveRollout } from './runner.ts';
import { openServerFleet } from './server-rollout.ts';

export interface RolloutRunOptions {
  /** A new id by default; the id of a stored, unfinished rollout resumes it. */
  id?: string;
  /** Leave the fleet's containers running at the end; a resumed rollout keeps what it started with unless told. */
  keep?: boolean;
  /** Defaults to the SQLite store under the data directory, opened and closed here. */
  store?: Store;
  cache?: PackageCache;
  mirror?: { archive?: string; security?: string };
  /** Instead of the plan's patch, for a new rollout; a stored rollout keeps the patch it started with. */
  patch?: PatchRequest;
  /** Packages a new rollout's patch leaves out (a stored rollout keeps the patch it started with). */
  holds?: readonly Hold[];
  progress?: Progress;
  /** The clock the rollout is created and judged by; the real one by default. */
  now?: () => number;
  /** Told once the rollout is stored, before the first decision: its id and first state. */
  onStart?: (id: string, state: RolloutState) => void;
  onDecision?: (decision: Decision, state: RolloutState) => void;
  /** Told of phases that concern people (waiting for approval, paused, rolled back, completed), as they happen. */
  onNotification?: (notification: Notification) => void;
  /**
   * Stops driving. The rollout is paused with the signal's reason, so its page says why nothing
   * moves, and its fleet is kept, so `rollout start --id` can resume it.
   */
  signal?: AbortSignal;
  /** The lease's time and renewal; PATCHLAB_LEASE_TTL and PATCHLAB_LEASE_RENEW by default. */
  lease?: LeaseSettings;
}

/**
 * A planned rollout on a real fleet of containers, start to end: prepare the patch once, start
 * the fleet, store the rollout, then drive it; or, for an id already stored, find its containers
 * and evidence again and go on where it stopped, with what the rollout stored (its policy, its
 * checks, its fleet): the plan is needed only to start one. Used by `rollout start` and `serve`.
 */
export async function runRollout(plan: RolloutPlan | undefined, options: RolloutRunOptions = {}): Promise<RolloutState> {
  const progress = options.progress ?? silent;
  const store = options.store ?? (await openConfiguredStore());
  let fleet: Fleet | undefined;
  let servers = false;
  let keep = options.keep === true;
  let aborted = false;
  let lease: HeldLease | undefined;
  let queue: WorkQueue | undefined;
  let onWorkers: Fleet | undefined;
  const id = options.id ?? newRunId('rollout');
  try {
    // With PostgreSQL and a live worker, the workers start the fleet and do its host steps; a team's servers stay this process's.
    queue = await openWorkQueue(process.env[DATABASE_URL_VARIABLE]);
    if (!queue) await dockerStartup(progress).catch((error: Error) => refuseWithoutEngine(error, process.env[DATABASE_URL_VARIABLE]));
    // Before its fleet is touched: a rollout has one driver, or two would patch the same hosts.
    lease = await HeldLease.claim(store, id, { ...(options.lease ? { settings: options.lease } : {}), onError: progress });
    const held = lease;
    // Stops driving when another process takes the rollout over, as a Ctrl-C would, but pauses nothing.
    const signal = options.signal ? AbortSignal.any([options.signal, held.lost]) : held.lost;
    const cache = options.cache ?? new PackageCache();
    const existing = await store.loadRollout(id);
    if (queue && !(await drivenOnWorkers(queue, id, existing, plan))) {
      await queue.close();
      queue = undefined;
      await dockerStartup(progress);
    }
    const databaseUrl = process.env[DATABASE_URL_VARIABLE];
    if (!queue && existing && !isTerminal(existing.state.phase) && databaseUrl && (existing.meta as unknown as RolloutMeta).servers === undefined) {
      const engines = await workerEnginesOf(databaseUrl, id);
      if (engines.length > 0) throw new Error(`rollout ${id}: its hosts live on workers' Docker engines (${engines.join(', ')}) and no patchlab worker is live to reach them: start one on each (patchlab worker --docker-host URL)`);
    }
    if (!queue) {
      const reaped = await reapFinishedFleets(store);
      if (reaped > 0) progress(`removed ${reaped} container(s) of finished rollouts`);
    }
    let meta: RolloutMeta;
    let policy: RolloutPolicy;
    if (existing) {
      if (options.patch) throw new Error(`rollout ${id} exists and keeps the patch it started with (${existing.state.patch.name}); --patch is for a new rollout`);
      meta = existing.meta as unknown as RolloutMeta;
      policy = existing.policy;
      keep = options.keep ?? meta.keep === true;
      if (isTerminal(existing.state.phase)) {
        progress(`rollout ${id}: already ${existing.state.phase}`);
        return existing.state;
      }
      progress(`rollout ${id}: resuming (${existing.state.phase}, ring ${existing.state.rings[existing.state.ring]?.name})${queue ? ' on the workers' : ''}`);
      if (queue) fleet = onWorkers = new JobFleet({ pool: queue.pool, rolloutId: id, hosts: existing.state.hosts.map((h) => ({ id: h.id, labels: {}, version: h.version })) });
      else {
        const image = await resolveImage(meta.image.name);
        fleet = meta.servers
          ? await openServerFleet({ rolloutId: id, meta: { servers: meta.servers, reboots: meta.reboots ?? [] }, image, prepared: meta.prepared, checks: meta.checks, faults: new Map(meta.faults), cache, progress, resumed: true })
          : await ContainerFleet.attach({ rolloutId: id, image, prepared: meta.prepared, cache, checks: await fleetChecks(meta.checks), faults: new Map(meta.faults), mayAct: () => held.mayAct() });
      }
    } else {
      if (!plan) throw new Error(`no rollout ${id} is stored; give a scenario to start one`);
      if (queue) progress(`rollout ${id}: the workers prepare the patch, start the fleet and do its host steps`);
      ({ fleet, meta, policy } = queue
        ? await newRolloutOnWorkers(id, plan, store, queue.pool, cache, options, progress)
        : await newRollout(id, plan, store, cache, { ...options, mayAct: () => held.mayAct() }, progress));
      if (queue) onWorkers = fleet;
    }
    servers = meta.servers !== undefined;
    // Nobody checked its hosts while no driver ran: the engine must not count that time against them.
    if (existing) {
      await recordTakeOver(store, id, held, options.now ?? Date.now);
      progress(`rollout ${id}: driver ${held.owner} took over; check timeouts count from now`);
    }
    const record = await store.loadRollout(id);
    if (!record) throw new Error(`rollout ${id} vanished from the store`);
    options.onStart?.(id, record.state);
    const final = await drive(id, store, fleet, policy, meta.checkIntervalMs, { ...options, signal }, held, progress).catch((error: unknown) => {
      if (isLeaseLost(error)) held.markLost(error);
      throw error;
    });
    if (held.lost.aborted) throw held.lost.reason as Error;
    aborted = options.signal?.aborted === true && !isTerminal(final.phase);
    const last = aborted ? await pauseStopped(store, id, options.signal?.reason, held, progress) : final;
    progress(`rollout ${id}: ${last.phase}`);
    return last;
  } finally {
    // A fleet whose rollout another process took over is that process's now: never removed here.
    const takenOver = lease?.lost.aborted === true;
    const removing = !keep && !aborted && !takenOver;
    if (queue && onWorkers && removing) await removeFleetOnWorkers(queue.pool, id, progress);
    await onWorkers?.close();
    await queue?.close();
    // A team's servers are never removed: closing their fleet only closes its connections, which always goes.
    if (fleet && fleet !== onWorkers && (servers || removing)) await fleet.close();
    await lease?.release();
    if (!options.store) await store.close();
  }
}

/** The runner over the stored rollout, with every check round and the health samples stored before the engine judges by them. */
async function drive(id: string, store: Store, fleet: Fleet, policy: RolloutPolicy, checkIntervalMs: number, options: RolloutRunOptions, lease: HeldLease, progress: Progress) {
  const history = await store.observations(id);
  const seen: Observation[] = [...history];
  return driveRollout(id, {
    store: runnerStore(store, lease.fence),
    mayAct: () => lease.mayAct(),
    fleet,
    policy,
    checkIntervalMs,
    history,
    ...(options.now ? { now: options.now } : {}),
    onDecision: options.onDecision,
    onPhase: (state, previous) => {
      const notification = rolloutNotification(state, previous, Date.now());
      if (notification) options.onNotification?.(notification);
    },
    onError: (message) => progress(message),
    onHostsGone: async (hostIds) => {
      progress(`rollout ${id}: ${hostIds.length} of its hosts are gone from its fleet (${hostIds.join(', ')}), removed outside patchlab: they are no longer checked, and a patch of one fails at once`);
      const payload = { name: 'hosts-gone', hosts: hostIds };
      await storeStep(store, id, 'hosts-gone', (state, at) => hostsGone(state, hostIds, lease.owner, at), { actor: lease.owner, kind: 'command', payload }, options.now ?? Date.now, lease.fence).catch((error: unknown) => {
        if (isLeaseLost(error)) lease.markLost(error);
        throw error;
      });
    },
    onObservations: async (batch, state) => {
      if (batch.length === 0) return;
      await store.recordObservations(id, batch, lease.fence).catch((error: unknown) => {
        if (isLeaseLost(error)) lease.markLost(error);
        throw error;
      });
      seen.push(...batch);
      const at = Math.max(...batch.map((o) => o.at));
      for (const sample of healthSamplesOf(state, seen, at, policy)) await store.recordHealthSample(id, sample, lease.fence);
    },
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

/** The actor of the pause a stopped driver records. */
export const INTERRUPT_ACTOR = 'patchlab';

async function pauseStopped(store: Store, id: string, reason: unknown, lease: HeldLease, progress: Progress): Promise<RolloutState> {
  const why = reason instanceof Error ? reason.message : String(reason ?? 'stopped');
  try {
    return await giveCommand(store, id, {
      name: 'pause',
      actor: INTERRUPT_ACTOR,
      reason: `no process drives it (${why}); its fleet is kept: run patchlab rollout start --id ${id} (or patchlab serve) to drive it again, then resume`,
    }, Date.now, lease.fence);
  } catch (error) {
    // Rolling back cannot be paused; resuming the driver finishes the rollback.
    progress(`rollout ${id}: not paused: ${(error as Error).message}`);
    const record = await store.loadRollout(id);
    if (!record) throw error;
    return record.state;
  }
}

/**
 * Whether the workers run this rollout's fleet: a new rollout on containers, or a stored one whose
 * hosts workers started. A team's servers, and a fleet this process's engine started, stay here.
 */
async function drivenOnWorkers(queue: WorkQueue, id: string, existing: StoredRollout | undefined, plan: RolloutPlan | undefined): Promise<boolean> {
  if (!existing) return plan?.servers === undefined;
  if ((existing.meta as unknown as RolloutMeta).servers !== undefined) return false;
  const { rows } = await queue.pool.query('SELECT 1 FROM patchlab_fleet_hosts WHERE rollout_id = $1 LIMIT 1', [id]);
  return rows.length > 0;
}

/** Without an engine here, a PostgreSQL coordinator needs a live worker: the error says both are missing. */
function refuseWithoutEngine(error: Error, databaseUrl: string | undefined): never {
  if (!databaseUrl) throw error;
  throw new Error(
    `no Docker engine here (${engineOf()}: ${error.message}) and no patchlab worker is live in the database (none beat within the last ${STALE_MS / 1000} s): start a worker (patchlab worker --docker-host URL) for this rollout to need no Docker engine here`,
  );
}
