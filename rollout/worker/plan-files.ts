import { resolve } from 'node:path';
import type Docker from 'dockerode';
import type pg from 'pg';
import { takeMirrorlessFiles } from '../../lab/jobs/prepared-files.ts';
import { imageMirror } from '../../lab/config/mirror.ts';
import { DockerHostProvider } from '../../lab/hosts/docker-provider.ts';
import type { ResolvedImage } from '../../lab/images/build.ts';
import { RUN_LABEL } from '../../lab/hosts/labels.ts';
import { CACHE_MOUNT } from '../../lab/patches/apt-install.ts';
import type { PackageCache } from '../../lab/patches/cache.ts';
import { fillPinnedFiles } from '../../lab/patches/cache-fill.ts';
import type { Progress } from '../../lab/progress.ts';
import { newRunId } from '../../lab/run/run-id.ts';
import type { PreparedPatch } from '../fleets/containers/prepared-patch.ts';
import { FLEET_HOST_LABEL } from '../fleets/containers/start-hosts.ts';

/**
 * A worker's cache gets each rollout's pinned files once: the first host step of the rollout
 * takes those no mirror has from the database (the preparing worker kept them there), then fills
 * the rest from the mirror (a fetcher host of the rollout's image on the engine the hosts live
 * on, apt reading this machine's apt sources) and checks every pin; the later steps find it done.
 * A fill that failed is tried again by the next step.
 */
export class PlanFiles {
  private readonly fills = new Map<string, Promise<void>>();
  private readonly told = new Set<string>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly cache: PackageCache,
    private readonly progress: Progress,
    private readonly now: () => number = Date.now,
  ) {}

  ensure(rolloutId: string, prepared: PreparedPatch, image: ResolvedImage, docker: Docker): Promise<void> {
    // A plan stored before files were pinned names no bytes to check: its workers need the coordinator's cache.
    const pins = prepared.sha256;
    if (!pins) return Promise.resolve();
    let fill = this.fills.get(rolloutId);
    if (!fill) {
      const openMirror = () =>
        this.cache.openFetcher({
          provider: new DockerHostProvider(docker),
          image: image.tag,
          runId: newRunId('cache-fill'),
          mirror: imageMirror(image.definition),
          refreshLists: 'if-stale',
          progress: this.progress,
        });
      fill = takeMirrorlessFiles(this.pool, this.cache.root, pins, this.now()).then(async (taken) => {
        const { fetched } = await fillPinnedFiles(this.cache.root, pins, openMirror, this.progress);
        const from = [...(taken.length > 0 ? [`${taken.length} from the database`] : []), ...(fetched.length > 0 ? [`${fetched.length} fetched from the mirror`] : [])];
        this.progress(`rollout ${rolloutId}: package cache ${this.cache.root} holds its ${Object.keys(pins).length} pinned file(s)${from.length > 0 ? `, ${from.join(', ')}` : ''}`);
      });
      this.fills.set(rolloutId, fill);
      fill.catch(() => this.fills.delete(rolloutId));
    }
    return fill;
  }

  /**
   * A host reads the cache its engine's machine bind-mounts, from the path the process that
   * started it gave: when that is not this worker's cache, this worker's fill does not reach the
   * host, and says so once (the host still checks the pins on its own copy).
   */
  async noteHostView(docker: Docker, rolloutId: string, hostId: string): Promise<void> {
    if (this.told.has(`${rolloutId}/${hostId}`)) return;
    this.told.add(`${rolloutId}/${hostId}`);
    const [container] = await docker.listContainers({ all: true, filters: { label: [`${RUN_LABEL}=${rolloutId}`, `${FLEET_HOST_LABEL}=${hostId}`] } });
    const source = container?.Mounts.find((m) => m.Destination === CACHE_MOUNT)?.Source;
    if (source !== undefined && resolve(source) !== resolve(this.cache.root)) {
      this.progress(`${hostId} (rollout ${rolloutId}) reads the package cache at ${source} on its engine's machine, not this worker's ${this.cache.root}: the files it installs are checked against the plan's pins on the host`);
    }
  }
}
