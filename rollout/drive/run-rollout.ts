import { isTerminal } from '../engine/phase.ts';
import { debianMirror } from '../../lab/config/mirror.ts';
import { dockerClient } from '../../lab/hosts/docker-client.ts';
import { DockerHostProvider } from '../../lab/hosts/docker-provider.ts';
import { isOwnerAlive, KEEP_LABEL, OWNER_LABEL } from '../../lab/hosts/labels.ts';
import { dockerStartup } from '../../lab/hosts/startup.ts';
import { resolveImage } from '../../lab/images/build.ts';
import { shortHash } from '../../lab/images/hash.ts';
import { PackageCache } from '../../lab/patches/cache.ts';
import type { PatchRequest } from '../../lab/patches/request.ts';
import { silent, type Progress } from '../../lab/progress.ts';
import { checkFilesFor, loadCheckSuite } from '../../lab/run/check-suite.ts';
import { newRunId } from '../../lab/run/run-id.ts';
import { hostLabels } from '../fleets/host-labels.ts';
import type { RolloutPlan } from './rollout-plan.ts';
import type { Decision } from '../engine/decision.ts';
import { ContainerFleet } from '../fleets/containers/container-fleet.ts';
import { faultsForHosts } from '../fleets/containers/faults-for-hosts.ts';
import { preparePatch } from '../fleets/containers/prepare.ts';
import type { HostFault, PreparedPatch } from '../fleets/containers/prepared-patch.ts';
import { healthSamplesOf } from '../engine/health-samples.ts';
import type { Observation } from '../engine/observations.ts';
import { giveCommand } from './control.ts';
import { claimDriver, leaseRoot } from './driver-lease.ts';
import { driveRollout } from './runner.ts';
import { createRollout, type RolloutState } from '../engine/state.ts';
import { runnerStore } from '../store/runner-store.ts';
import { openStore } from '../store/sqlite-store.ts';
import type { Store } from '../store/store.ts';

/** What a resumed rollout needs that is not in the engine's state; stored as the rollout's meta. */
export interface RolloutMeta {
  image: { name: string; tag: string };
  prepared: PreparedPatch;
  checks: string[];
  faults: [string, HostFault[]][];
  checkIntervalMs: number;
}

export interface RolloutRunOptions {
  /** A new id by default; the id of a stored, unfinished rollout resumes it. */
  id?: string;
  /** Leave the fleet's containers running at the end. */
  keep?: boolean;
  /** Defaults to the SQLite store under the data directory, opened and closed here. */
  store?: Store;
  cache?: PackageCache;
  mirror?: { archive?: string; security?: string };
  /** Instead of the plan's patch, for a new rollout; a stored rollout keeps the patch it started with. */
  patch?: PatchRequest;
  progress?: Progress;
  /** Told once the rollout is stored, before the first decision: its id and first state. */
  onStart?: (id: string, state: RolloutState) => void;
  onDecision?: (decision: Decision, state: RolloutState) => void;
  /**
   * Stops driving. The rollout is paused with the signal's reason, so its page says why nothing
   * moves, and its fleet is kept, so `rollout start --id` can resume it.
   */
  signal?: AbortSignal;
}


/** Which store a kept fleet's rollout lives in, as a short hash of the store's location. */
export const STORE_LABEL = 'patchlab.store';
const storeTag = (store: Store) => shortHash(store.location);

/**
 * A planned rollout on a real fleet of containers, start to end: prepare the patch once,
 * start the fleet, store the rollout, then drive it; or, for an id already stored, find its
 * containers and evidence again and go on where it stopped. Used by `rollout start` and `serve`.
 */
export async function runRollout(plan: RolloutPlan, options: RolloutRunOptions = {}): Promise<RolloutState> {
  const progress = options.progress ?? silent;
  const store = options.store ?? openStore();
  let fleet: ContainerFleet | undefined;
  let aborted = false;
  let release: (() => void) | undefined;
  try {
    await dockerStartup(progress);
    const reaped = await reapFinishedFleets(store);
    if (reaped > 0) progress(`removed ${reaped} container(s) of finished rollouts`);
    const id = options.id ?? newRunId('rollout');
    // Before its fleet is touched: a rollout has one driver, or two would patch the same hosts.
    release = claimDriver(leaseRoot(store.location), id);
    const cache = options.cache ?? new PackageCache();
    const existing = await store.loadRollout(id);
    let meta: RolloutMeta;
    if (existing) {
      if (options.patch) throw new Error(`rollout ${id} exists and keeps the patch it started with (${existing.state.patch.name}); --patch is for a new rollout`);
      meta = existing.meta as unknown as RolloutMeta;
      if (isTerminal(existing.state.phase)) {
        progress(`rollout ${id}: already ${existing.state.phase}`);
        return existing.state;
      }
      progress(`rollout ${id}: resuming (${existing.state.phase}, ring ${existing.state.rings[existing.state.ring]?.name})`);
      fleet = await ContainerFleet.attach({ rolloutId: id, image: await resolveImage(meta.image.name), prepared: meta.prepared, cache, checks: await fleetChecks(meta.checks), faults: new Map(meta.faults) });
    } else {
      ({ fleet, meta } = await newRollout(id, plan, store, cache, options, progress));
    }
    const record = await store.loadRollout(id);
    if (!record) throw new Error(`rollout ${id} vanished from the store`);
    options.onStart?.(id, record.state);
    const history = await store.observations(id);
    const seen: Observation[] = [...history];
    const final = await driveRollout(id, {
      store: runnerStore(store),
      fleet,
      policy: plan.policy,
      checkIntervalMs: meta.checkIntervalMs,
      history,
      onDecision: options.onDecision,
      onError: (message) => progress(message),
      onObservations: async (batch, state) => {
        if (batch.length === 0) return;
        await store.recordObservations(id, batch);
        seen.push(...batch);
        const at = Math.max(...batch.map((o) => o.at));
        for (const sample of healthSamplesOf(state, seen, at, plan.policy)) await store.recordHealthSample(id, sample);
      },
      ...(options.signal ? { signal: options.signal } : {}),
    });
    aborted = options.signal?.aborted === true && !isTerminal(final.phase);
    const last = aborted ? await pauseStopped(store, id, options.signal?.reason, progress) : final;
    progress(`rollout ${id}: ${last.phase}`);
    return last;
  } finally {
    if (fleet && !options.keep && !aborted) await fleet.close();
    release?.();
    if (!options.store) await store.close();
  }
}

/** The actor of the pause a stopped driver records. */
export const INTERRUPT_ACTOR = 'patchlab';

async function pauseStopped(store: Store, id: string, reason: unknown, progress: Progress): Promise<RolloutState> {
  const why = reason instanceof Error ? reason.message : String(reason ?? 'stopped');
  try {
    return await giveCommand(store, id, {
      name: 'pause',
      actor: INTERRUPT_ACTOR,
      reason: `no process drives it (${why}); its fleet is kept: run patchlab rollout start with --id ${id} to drive it again, then resume`,
    });
  } catch (error) {
    // Rolling back cannot be paused; resuming the driver finishes the rollback.
    progress(`rollout ${id}: not paused: ${(error as Error).message}`);
    const record = await store.loadRollout(id);
    if (!record) throw error;
    return record.state;
  }
}

async function newRollout(id: string, plan: RolloutPlan, store: Store, cache: PackageCache, options: RolloutRunOptions, progress: Progress) {
  const image = await resolveImage(plan.image, { progress });
  const checks = plan.checks.length > 0 ? plan.checks : checkFilesFor(image.definition).filter((f) => /\.ya?ml$/.test(f));
  progress(`rollout ${id}: scenario ${plan.name}, ${plan.fleet.hosts} ${plan.image} hosts, rings ${plan.rings.map((r) => r.name).join(' → ')}`);
  const latency = plan.faults.find((f) => f.kind === 'latency');
  const prepared = await preparePatch({
    runId: id,
    image: { name: plan.image, tag: image.tag },
    request: options.patch ?? plan.patch,
    provider: new DockerHostProvider(),
    cache,
    mirror: debianMirror(image.definition?.suite ?? 'bookworm', options.mirror ?? {}),
    faults: {
      badPackage: plan.faults.some((f) => f.kind === 'bad-package'),
      latencyMs: latency && 'addMs' in latency ? latency.addMs : 0,
    },
    progress,
  });
  progress(`patch: ${prepared.name} as ${prepared.version}`);
  // Rings and faults are settled before any container starts, so the fleet starts with its faults.
  const prefix = plan.image.replace(/[^a-z0-9]+/g, '-');
  const planned = hostLabels(plan.fleet).map((labels, i) => ({ id: `${prefix}-${String(i + 1).padStart(2, '0')}`, labels: { ...labels }, version: prepared.baseVersion }));
  const state = createRollout({ id, patch: { name: prepared.name, version: prepared.version, severity: plan.severity }, hosts: planned, rings: plan.rings, now: Date.now() });
  const faults = faultsForHosts(plan.faults, planned, state, plan.fleet.seed);
  for (const [host, list] of faults) progress(`fault on ${host}: ${list.map((f) => f.kind).join(', ')}`);
  const meta: RolloutMeta = { image: { name: plan.image, tag: image.tag }, prepared, checks, faults: [...faults], checkIntervalMs: plan.checkIntervalMs };
  const fleet = await ContainerFleet.provision({
    rolloutId: id,
    image,
    prepared,
    cache,
    checks: await fleetChecks(checks),
    faults,
    size: plan.fleet.hosts,
    groups: plan.fleet.groups,
    namePrefix: prefix,
    labels: { [STORE_LABEL]: storeTag(store) },
    progress,
  });
  try {
    await store.createRollout({ state, scenario: plan.file, policy: plan.policy, meta: meta as unknown as Record<string, unknown> });
  } catch (error) {
    await fleet.close();
    throw error;
  }
  return { fleet, meta };
}

function fleetChecks(files: string[]) {
  return loadCheckSuite(files, { screenshotDir: '/tmp' });
}

/**
 * Fleet containers outlive a killed process on purpose (patchlab.keep), so the rollout can be
 * resumed. Once their rollout is over or unknown, and their owner is dead, they go.
 */
export async function reapFinishedFleets(store: Store): Promise<number> {
  const docker = dockerClient();
  // Only this store's: a fleet another store (another PATCHLAB_HOME, a test's) knows is not ours to judge.
  const kept = await docker.listContainers({ all: true, filters: { label: [KEEP_LABEL, `${STORE_LABEL}=${storeTag(store)}`] } });
  let removed = 0;
  for (const c of kept) {
    const id = c.Labels[KEEP_LABEL] ?? '';
    if (isOwnerAlive(c.Labels[OWNER_LABEL])) continue;
    const record = await store.loadRollout(id);
    if (record && !isTerminal(record.state.phase)) continue;
    await docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined);
    removed++;
  }
  return removed;
}
