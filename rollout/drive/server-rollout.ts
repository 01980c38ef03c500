import type { ResolvedImage } from '../../lab/images/build.ts';
import type { PackageCache } from '../../lab/patches/cache.ts';
import type { Progress } from '../../lab/progress.ts';
import type { RolloutState } from '../engine/state.ts';
import type { HostFault, PreparedPatch } from '../fleets/containers/prepared-patch.ts';
import { serverCheckSuite } from '../fleets/ssh/server-checks.ts';
import { ServerFleet } from '../fleets/ssh/server-fleet.ts';
import type { RebootPolicy, ServerFleetPlan } from '../fleets/ssh/server-fleet-plan.ts';

/** What a rollout over servers stores beside the container fleet's meta, to reach the same servers when resumed. */
export interface ServerRolloutMeta {
  servers: ServerFleetPlan;
  reboots: [string, RebootPolicy][];
}

/** Each host's reboot policy, from its ring's. Pure. */
export function rebootsForHosts(state: RolloutState, byRing: Readonly<Record<string, RebootPolicy>> = {}): Map<string, RebootPolicy> {
  return new Map(state.hosts.map((h) => [h.id, byRing[state.rings[h.ring]?.name ?? ''] ?? 'never']));
}

export interface ServerFleetInputs {
  rolloutId: string;
  meta: ServerRolloutMeta;
  image: ResolvedImage;
  prepared: PreparedPatch;
  checks: string[];
  faults: ReadonlyMap<string, readonly HostFault[]>;
  cache: PackageCache;
  progress: Progress;
  resumed: boolean;
}

/** The servers of a rollout, reached again (or for the first time); checks against the image's service port. */
export async function openServerFleet(inputs: ServerFleetInputs): Promise<ServerFleet> {
  const port = inputs.image.definition?.ports[0] ?? 80;
  return ServerFleet.open({
    rolloutId: inputs.rolloutId,
    plan: inputs.meta.servers,
    image: inputs.image,
    prepared: inputs.prepared,
    cache: inputs.cache,
    checks: await serverCheckSuite(inputs.checks, port, '/tmp'),
    faults: inputs.faults,
    reboots: new Map(inputs.meta.reboots),
    progress: inputs.progress,
    resumed: inputs.resumed,
  });
}

/** A new rollout must find every server before the patch: one already on it could not be told apart after a rollback. */
export function alreadyPatched(fleet: ServerFleet, prepared: PreparedPatch): string[] {
  return fleet.hosts().filter((h) => h.version === prepared.version).map((h) => h.id);
}
