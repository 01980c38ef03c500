import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { makeWorkerUtils, run, type Task, type WorkerEvents } from 'graphile-worker';
import { openPostgresDatabase } from '../../lab/store/postgres-database.ts';
import { LAB_RUN_TASK, labRunTask, type LabRunPayload } from '../../lab/jobs/lab-run-job.ts';
import { PackageCache } from '../../lab/patches/cache.ts';
import type { Progress } from '../../lab/progress.ts';
import { HOST_STEP_TASK, type HostStepPayload } from '../fleets/jobs/host-steps.ts';
import { ensureJobSchema, quietLogger } from '../../lab/jobs/job-schema.ts';
import { openPostgresStore } from '../store/postgres-store.ts';
import { hostStepTask } from './host-step-task.ts';
import { SCHEDULED_RUN_TASK, scheduledRunTask, type ScheduledRunPayload } from '../../lab/jobs/scheduled-run-job.ts';
import { workerNotifier } from './worker-notifier.ts';
import { beat, BEAT_MS, freeDeadWorkersJobs, leave, STALE_MS } from '../../lab/jobs/worker-liveness.ts';
import { engineOf, otherEnginesFlags } from '../../lab/jobs/engine-routing.ts';
import { FLEET_HOSTS_TASK, PREPARE_TASK, type FleetHostsPayload, type PreparePayload } from '../fleets/jobs/fleet-jobs.ts';
import { fleetHostsTask } from './fleet-hosts-task.ts';
import { prepareTask } from './prepare-task.ts';
import { dockerClientFor } from '../../lab/hosts/docker-client.ts';
import { reapUnstoredFleets } from './reap-unstored-fleets.ts';
import { forgetUnusedPreparedFiles, preparedFilesKeepFrom } from '../../lab/jobs/prepared-files.ts';
import { unstoredGraceFrom } from './unstored-fleets.ts';
import { formatDuration } from '../engine/format.ts';

/** What a job may need beyond a Docker engine (qemu for VM twins); a worker takes only the jobs it has every flag of. */
export const CAPABILITIES = ['qemu', 'kvm'] as const;
export type Capability = (typeof CAPABILITIES)[number];

export interface WorkerOptions {
  databaseUrl: string;
  capabilities: readonly Capability[];
  /** Jobs at once. */
  concurrency: number;
  progress: Progress;
  signal: AbortSignal;
  staleMs?: number;
  /** The engine this worker starts hosts on; DOCKER_HOST or the local socket by default. */
  dockerHost?: string;
  /** This worker's own package cache (--cache, PATCHLAB_CACHE); the default cache of its home otherwise. */
  cacheDir?: string;
  /** How long after its start a fleet no stored rollout names is removed; PATCHLAB_UNSTORED_FLEET_GRACE by default. */
  unstoredGraceMs?: number;
  /** How long a prepared file no rollout uses stays in the database; PATCHLAB_PREPARED_FILES_KEEP by default. */
  preparedFilesKeepMs?: number;
}

/** Looks for unstored fleets a few times per grace period, and at least every 30 s. */
const reapEvery = (graceMs: number) => Math.min(30_000, Math.max(1_000, Math.floor(graceMs / 3)));

/**
 * A lab worker: takes jobs from the queue in the database until the signal stops it. Host steps
 * reach each host on the engine the rollout stored for it.
 */
export async function runWorker(options: WorkerOptions): Promise<void> {
  const graceMs = options.unstoredGraceMs ?? unstoredGraceFrom();
  const keepPreparedMs = options.preparedFilesKeepMs ?? preparedFilesKeepFrom();
  const { pool } = await openPostgresDatabase(options.databaseUrl);
  const store = await openPostgresStore(options.databaseUrl);
  const workerIds: string[] = [];
  const tag = `${hostname()}:${process.pid}`;
  let timer: NodeJS.Timeout | undefined;
  let reapTimer: NodeJS.Timeout | undefined;
  // One look at a time, and the last one finished before the pool closes.
  let reapingNow: Promise<void> | undefined;
  try {
    await ensureJobSchema(pool);
    const utils = await makeWorkerUtils({ pgPool: pool, logger: quietLogger });
    const events: WorkerEvents = new EventEmitter();
    // Jobs are locked in the name of the worker pool (not of each of its workers): that is whose beat counts.
    events.on('pool:create', ({ workerPool }) => workerIds.push(workerPool.id));
    const cache = new PackageCache(options.cacheDir);
    const dockerHost = options.dockerHost ?? engineOf();
    const step = hostStepTask({ pool, store, cache, progress: options.progress });
    const labRun = labRunTask({ pool, store, cache, progress: options.progress });
    const scheduled = scheduledRunTask({ store, cache, progress: options.progress, notify: workerNotifier(options.progress) });
    const prepare = prepareTask({ pool, cache, dockerHost, progress: options.progress });
    const fleetHosts = fleetHostsTask({ pool, cache, dockerHost, progress: options.progress });
    const taskList: Record<string, Task> = {
      [HOST_STEP_TASK]: async (payload) => step(payload as HostStepPayload),
      [LAB_RUN_TASK]: async (payload) => labRun(payload as LabRunPayload),
      [SCHEDULED_RUN_TASK]: async (payload) => scheduled(payload as ScheduledRunPayload),
      [PREPARE_TASK]: async (payload) => prepare(payload as PreparePayload),
      [FLEET_HOSTS_TASK]: async (payload) => fleetHosts(payload as FleetHostsPayload),
    };
    const lacking = CAPABILITIES.filter((c) => !options.capabilities.includes(c));
    let otherEngines: string[] = [];
    const runner = await run({
      pgPool: pool,
      concurrency: options.concurrency,
      taskList,
      events,
      logger: quietLogger,
      noHandleSignals: true,
      pollInterval: 1_000,
      // Asked before each fetch of a job: the engines known may have grown since the last one.
      forbiddenFlags: async () => [...lacking, ...(otherEngines = await otherEnginesFlags(pool, dockerHost).catch(() => otherEngines))],
    });
    const tick = async () => {
      await beat(pool, workerIds, tag, Date.now(), dockerHost);
      const freed = await freeDeadWorkersJobs(pool, utils, Date.now(), options.staleMs ?? STALE_MS);
      if (freed.length > 0) options.progress(`took back the jobs of ${freed.length} silent worker(s): ${freed.join(', ')}`);
    };
    await tick();
    timer = setInterval(() => void tick().catch((error: Error) => options.progress(`heartbeat: ${error.message}`)), BEAT_MS);
    const reaping = { pool, store, docker: dockerClientFor(dockerHost), dockerHost, graceMs, progress: options.progress, now: Date.now };
    reapTimer = setInterval(() => {
      reapingNow ??= reapUnstoredFleets(reaping)
        .then(() => undefined, (error: Error) => options.progress(`removing fleets of unstored rollouts: ${error.message}`))
        .then(() => forgetUnusedPreparedFiles(pool, reaping.now(), keepPreparedMs))
        .then(
          (forgotten) => {
            if (forgotten.length > 0) options.progress(`forgot ${forgotten.length} prepared file(s) unused for ${formatDuration(keepPreparedMs)}: ${forgotten.join(', ')}`);
          },
          (error: Error) => options.progress(`forgetting unused prepared files: ${error.message}`),
        )
        .finally(() => (reapingNow = undefined));
    }, reapEvery(graceMs));
    options.progress(`worker ${tag}: ${options.concurrency} job(s) at once, engine ${dockerHost}, capabilities: ${options.capabilities.join(', ') || 'none'}`);
    await new Promise<void>((resolve) => {
      if (options.signal.aborted) resolve();
      options.signal.addEventListener('abort', () => resolve(), { once: true });
      void runner.promise.finally(resolve);
    });
    await runner.stop();
    await utils.release();
  } finally {
    if (timer) clearInterval(timer);
    if (reapTimer) clearInterval(reapTimer);
    await reapingNow;
    await leave(pool, workerIds).catch(() => undefined);
    await store.close();
    await pool.end();
  }
}
