import type Docker from 'dockerode';
import { dockerClient } from '../hosts/docker-client.ts';
import type { Host } from '../hosts/host.ts';
import { hostLabels, isOwnerAlive, OWNER_LABEL, RUN_LABEL } from '../hosts/labels.ts';

/** The network of one lab set: its hosts reach each other by the names the definitions give. */
export interface SetNetwork {
  readonly name: string;
  connect(host: Host, aliases: readonly string[]): Promise<void>;
  remove(): Promise<void>;
}

export interface SetNetworks {
  create(runId: string, role: string): Promise<SetNetwork>;
}

/**
 * A Docker bridge network per set, labelled like every host of the run, so the unpatched set's
 * web host can only ever reach the unpatched database, and a dead run's networks can be reaped.
 */
export class DockerSetNetworks implements SetNetworks {
  constructor(private readonly docker: Docker = dockerClient()) {}

  async create(runId: string, role: string): Promise<SetNetwork> {
    const name = `patchlab-${runId}-${role}`.replace(/[^A-Za-z0-9_.-]/g, '-');
    const network = await this.docker.createNetwork({ Name: name, Driver: 'bridge', CheckDuplicate: true, Labels: hostLabels(runId, role) });
    return {
      name,
      // Joined after the host starts: a container joined to a user-defined network gets Docker's
      // embedded DNS, so the aliases resolve from inside it.
      connect: async (host, aliases) => {
        await network.connect({ Container: host.id, EndpointConfig: { Aliases: [...aliases] } });
      },
      remove: async () => {
        await network.remove().catch((error: { statusCode?: number }) => {
          if (error.statusCode !== 404) throw error;
        });
      },
    };
  }
}

/** Networks of dead patchlab processes (or of one run): removed as their containers are by `lab reap`. */
export async function reapNetworks(options: { runId?: string; all?: boolean } = {}, docker: Docker = dockerClient()): Promise<string[]> {
  const filter = options.runId ? `${RUN_LABEL}=${options.runId}` : RUN_LABEL;
  const networks = await docker.listNetworks({ filters: { label: [filter] } });
  const removed: string[] = [];
  for (const n of networks) {
    if (!options.all && !options.runId && isOwnerAlive(n.Labels?.[OWNER_LABEL])) continue;
    // A network still in use by a container of a live run refuses (409): it is not orphaned.
    const gone = await docker.getNetwork(n.Id).remove().then(() => true, () => false);
    if (gone) removed.push(n.Name);
  }
  return removed;
}
