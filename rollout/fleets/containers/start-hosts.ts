import type Docker from 'dockerode';
import { dockerClient } from '../../../lab/hosts/docker-client.ts';
import { DockerHostProvider } from '../../../lab/hosts/docker-provider.ts';
import type { Host } from '../../../lab/hosts/host.ts';
import { KEEP_LABEL } from '../../../lab/hosts/labels.ts';
import { startService } from '../../../lab/hosts/services.ts';
import type { ImageDefinition } from '../../../lab/images/definition.ts';
import type { PackageCache } from '../../../lab/patches/cache.ts';
import { silent, type Progress } from '../../../lab/progress.ts';
import { hostLabels } from '../host-labels.ts';
import { prefixed } from './container-labels.ts';
import { fillDisk, fullDisk } from './disk-full.ts';
import type { HostFault } from './prepared-patch.ts';

export const FLEET_HOST_LABEL = 'patchlab.fleet-host';

export interface StartHostsOptions {
  rolloutId: string;
  image: { tag: string; definition?: ImageDefinition };
  cache: PackageCache;
  faults: ReadonlyMap<string, readonly HostFault[]>;
  size: number;
  /** Label the first hosts; the rest are unlabelled. */
  groups?: { count: number; labels: Record<string, string> }[];
  namePrefix?: string;
  /** Start only these of the fleet's hosts (the rest live on other engines); all by default. */
  only?: readonly string[];
  progress?: Progress;
  docker?: Docker;
  /** More labels for every container of the fleet. */
  labels?: Record<string, string>;
}

/** The fleet's containers, each with its service up, by host id; all or none (a failure stops those started). */
export async function startFleetHosts(options: StartHostsOptions): Promise<Map<string, { host: Host; labels: Record<string, string> }>> {
  const provider = new DockerHostProvider(options.docker ?? dockerClient());
  const progress = options.progress ?? silent;
  const labelsOf = hostLabels({ hosts: options.size, groups: options.groups ?? [] });
  const prefix = options.namePrefix ?? 'host';
  const started = new Map<string, { host: Host; labels: Record<string, string> }>();
  const all = Array.from({ length: options.size }, (_, i) => ({ id: `${prefix}-${String(i + 1).padStart(2, '0')}`, labels: labelsOf[i] ?? {} }));
  const ids = all.filter((h) => !options.only || options.only.includes(h.id));
  progress(`fleet: starting ${ids.length} hosts from ${options.image.tag}`);
  try {
    // Four at a time: two cores, and each start also starts the service.
    for (let i = 0; i < ids.length; i += 4) {
      await Promise.all(
        ids.slice(i, i + 4).map(async ({ id, labels: given }) => {
          const labels = { ...given };
          const diskFull = (options.faults.get(id) ?? []).some((f) => f.kind === 'disk-full');
          const host = await provider.start({
            image: options.image.tag,
            runId: options.rolloutId,
            role: 'fleet',
            name: `patchlab-${options.rolloutId}-${id}`,
            mounts: [options.cache.hostMount()],
            ...(diskFull ? { tmpfs: fullDisk() } : {}),
            labels: { ...options.labels, [KEEP_LABEL]: options.rolloutId, [FLEET_HOST_LABEL]: id, ...prefixed(labels) },
          });
          started.set(id, { host, labels });
          if (diskFull) await fillDisk(host);
          const service = await startService(host, options.image.definition);
          if (!service.ok) throw new Error(`fleet host ${id}: the service does not start: ${service.output}`);
        }),
      );
    }
  } catch (error) {
    await stopHosts(started.values());
    throw error;
  }
  progress(`fleet: ${started.size} hosts up`);
  return started;
}

export async function stopHosts(hosts: Iterable<{ host: Host }>): Promise<void> {
  await Promise.all([...hosts].map((m) => m.host.stop().catch(() => undefined)));
}
