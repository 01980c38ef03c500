import type Docker from 'dockerode';
import { dockerClient } from './docker-client.ts';
import { reapVms } from './vm/vm-reaper.ts';
import { isOwnerAlive, KEEP_LABEL, OWNER_LABEL, ownerToken, RUN_LABEL } from './labels.ts';

export interface ReapOptions {
  /** Remove every labelled container and snapshot, even those of live processes. */
  all?: boolean;
  /** Only this run's. */
  runId?: string;
  /** Only what this very process made: its own clean-up when interrupted. */
  mine?: boolean;
  /** With mine: leave a rollout's fleet (labelled patchlab.keep), which an interrupted rollout keeps to be resumed. */
  spareKept?: boolean;
}

export interface ReapResult {
  containers: string[];
  images: string[];
  /** VM hosts' folders (and their qemu, if one still ran). */
  vms: string[];
}

/**
 * Removes what a dead patchlab process left behind. Without Ryuk (its image cannot be pulled
 * here) nothing else would: this runs at every start-up and as `patchlab lab reap`.
 */
export async function reap(options: ReapOptions = {}, docker: Docker = dockerClient()): Promise<ReapResult> {
  const filter = options.runId ? `${RUN_LABEL}=${options.runId}` : RUN_LABEL;
  const orphaned = (labels: Record<string, string> | undefined): boolean => {
    if (options.mine) return labels?.[OWNER_LABEL] === ownerToken() && !(options.spareKept && labels[KEEP_LABEL]);
    if (options.all || options.runId) return true;
    if (labels?.[KEEP_LABEL]) return false;
    return !isOwnerAlive(labels?.[OWNER_LABEL]);
  };
  const removed: ReapResult = { containers: [], images: [], vms: reapVms(options) };
  const containers = await docker.listContainers({ all: true, filters: { label: [filter] } });
  await Promise.all(
    containers
      .filter((c) => orphaned(c.Labels))
      .map(async (c) => {
        await docker.getContainer(c.Id).remove({ force: true, v: true }).catch(ignoreGone);
        removed.containers.push(c.Names[0]?.replace(/^\//, '') ?? c.Id);
      }),
  );
  const images = await docker.listImages({ filters: { label: [filter] } });
  for (const image of images.filter((i) => orphaned(i.Labels))) {
    await docker.getImage(image.Id).remove({ force: true }).catch(ignoreGone);
    removed.images.push(image.RepoTags?.[0] ?? image.Id);
  }
  return removed;
}

function ignoreGone(error: { statusCode?: number }): void {
  if (error.statusCode !== 404 && error.statusCode !== 409) throw error;
}
