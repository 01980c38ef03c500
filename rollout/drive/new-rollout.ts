import { imageMirror } from '../../lab/config/mirror.ts';
import { dockerClient } from '../../lab/hosts/docker-client.ts';
import { DockerHostProvider } from '../../lab/hosts/docker-provider.ts';
import { isOwnerAlive, KEEP_LABEL, OWNER_LABEL } from '../../lab/hosts/labels.ts';
import { resolveImage } from '../../lab/images/build.ts';
import { shortHash } from '../../lab/images/hash.ts';
import type { PackageCache } from '../../lab/patches/cache.ts';
import type { Hold } from '../../lab/holds/holds.ts';
import type { PatchRequest } from '../../lab/patches/request.ts';
import type { Progress } from '../../lab/progress.ts';
import { checkFilesFor, loadCheckSuite } from '../../lab/run/check-suite.ts';
import { isTerminal } from '../engine/phase.ts';
import type { RolloutState } from '../engine/state.ts';
import { ContainerFleet } from '../fleets/containers/container-fleet.ts';
import { preparePatch } from '../fleets/containers/prepare.ts';
import type { HostFault, PreparedPatch } from '../fleets/containers/prepared-patch.ts';
import type { Fleet } from '../fleets/fleet.ts';
import type { Store } from '../store/store.ts';
import type { RolloutPlan } from './rollout-plan.ts';
import { fleetPlan } from './fleet-plan.ts';
import { patchGates, type PatchGates } from './patch-gates.ts';
import type { PolicyChoice } from './policy-choice.ts';
import { alreadyPatched, openServerFleet, rebootsForHosts, type ServerRolloutMeta } from './server-rollout.ts';

/** What a resumed rollout needs that is not in the engine's state; stored as the rollout's meta. */
export interface RolloutMeta {
  image: { name: string; tag: string };
  prepared: PreparedPatch;
  checks: string[];
  faults: [string, HostFault[]][];
  checkIntervalMs: number;
  /** The fleet outlives the rollout (`rollout start --keep`): a resumed rollout keeps it too. */
  keep?: boolean;
  /** A team's servers instead of containers. */
  servers?: ServerRolloutMeta['servers'];
  reboots?: ServerRolloutMeta['reboots'];
  /** How the rollout came by its policy: the rule and the advisory figures, or the severity. */
  policyChoice?: PolicyChoice;
}

/** Which store a kept fleet's rollout lives in, as a short hash of the store's location. */
export const STORE_LABEL = 'patchlab.store';
export const storeTag = (store: Store) => shortHash(store.location);

export interface NewRolloutOptions {
  keep?: boolean;
  mirror?: { archive?: string; security?: string };
  /** Instead of the plan's patch. */
  patch?: PatchRequest;
  /** Packages kept back from the patch. */
  holds?: readonly Hold[];
  now?: () => number;
  /** Asked before every command on a fleet host: the driver's lease still holds. */
  mayAct?: () => boolean;
}

/** A new rollout of the plan: the patch prepared once, rings and faults settled, the fleet started, the rollout stored. */
export async function newRollout(id: string, plan: RolloutPlan, store: Store, cache: PackageCache, options: NewRolloutOptions, progress: Progress) {
  const image = await resolveImage(plan.image, { progress });
  const checks = plan.checks.length > 0 ? plan.checks : checkFilesFor(image.definition).filter((f) => /\.ya?ml$/.test(f));
  const what = plan.servers ? `servers of ${plan.servers.inventory} (patch prepared on ${plan.image})` : `${plan.image} hosts`;
  progress(`rollout ${id}: scenario ${plan.name}, ${plan.fleet.hosts} ${what}, rings ${plan.rings.map((r) => r.name).join(' → ')}`);
  const now = options.now ?? Date.now;
  const { prefix, stateFor, faults } = fleetPlan(id, plan, now);
  for (const [host, list] of faults) progress(`fault on ${host}: ${list.map((f) => f.kind).join(', ')}`);
  const target = plan.servers ? { servers: plan.servers } : { suite: await fleetChecks(checks) };

  const latency = plan.faults.find((f) => f.kind === 'latency');
  const preparing = preparePatch({
    runId: id,
    image: { name: plan.image, tag: image.tag },
    request: options.patch ?? plan.patch,
    provider: new DockerHostProvider(),
    cache,
    mirror: imageMirror(image.definition, options.mirror),
    faults: {
      badPackage: plan.faults.some((f) => f.kind === 'bad-package'),
      latencyMs: latency && 'addMs' in latency ? latency.addMs : 0,
    },
    ...(options.holds ? { holds: options.holds } : {}),
    progress,
  }).then(async (prepared) => {
    progress(`patch: ${prepared.name} as ${prepared.version}`);
    return { prepared, gates: await patchGates(id, plan, prepared, { cache, sightings: store, now: now(), progress }) };
  });
  const metaOf = (prepared: PreparedPatch, gates: PatchGates): RolloutMeta => ({
    image: { name: plan.image, tag: image.tag },
    prepared,
    checks,
    faults: [...faults],
    checkIntervalMs: plan.checkIntervalMs,
    policyChoice: gates.policyChoice,
    ...(options.keep ? { keep: true } : {}),
  });
  let fleet: Fleet;
  let state: RolloutState;
  let meta: RolloutMeta;
  let policy: PatchGates['policy'];
  if (target.servers) {
    const { prepared, gates } = await preparing;
    state = stateFor(prepared, gates.ageWait);
    policy = gates.policy;
    const reboots = [...rebootsForHosts(state, plan.reboots)];
    meta = { ...metaOf(prepared, gates), servers: target.servers, reboots };
    const servers = await openServerFleet({ rolloutId: id, meta: { servers: target.servers, reboots }, image, prepared, checks, faults, cache, progress, resumed: false });
    const patched = alreadyPatched(servers, prepared);
    if (patched.length > 0) {
      await servers.close();
      throw new Error(`servers already on the patch (${prepared.name}): ${patched.join(', ')}; a rollout starts from servers that need it`);
    }
    fleet = servers;
  } else if (target.suite) {
    fleet = await ContainerFleet.provision({
      rolloutId: id,
      image,
      prepared: preparing.then((p) => p.prepared),
      cache,
      checks: target.suite,
      faults,
      size: plan.fleet.hosts,
      groups: plan.fleet.groups,
      namePrefix: prefix,
      labels: { [STORE_LABEL]: storeTag(store) },
      progress,
      ...(options.mayAct ? { mayAct: options.mayAct } : {}),
    });
    const { prepared, gates } = await preparing;
    state = stateFor(prepared, gates.ageWait);
    policy = gates.policy;
    meta = metaOf(prepared, gates);
  } else {
    throw new Error(`rollout ${id}: neither servers nor checks for a fleet of containers`);
  }
  try {
    await store.createRollout({ state, scenario: plan.file, policy, meta: meta as unknown as Record<string, unknown> });
  } catch (error) {
    await fleet.close();
    throw error;
  }
  return { fleet, meta, policy };
}

export function fleetChecks(files: string[]) {
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
