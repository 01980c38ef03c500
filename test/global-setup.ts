import Docker from 'dockerode';
import { buildAll } from '../lab/images/build.ts';
import { assertDockerReachable } from '../lab/hosts/docker-client.ts';
import { RUN_LABEL } from '../lab/hosts/labels.ts';
import { reap } from '../lab/hosts/reaper.ts';
import { stderrProgress } from '../lab/progress.ts';

/**
 * Real parts: the suite needs the Docker engine and the production images. Builds are cached by
 * definition hash, so this is quick unless a definition changed. After the suite, any container
 * still labelled patchlab.run is a leak, and fails the run.
 */
export async function setup(): Promise<void> {
  await assertDockerReachable();
  await reap();
  await buildAll({ progress: stderrProgress('images') });
}

export async function teardown(): Promise<void> {
  const docker = new Docker();
  const left = await docker.listContainers({ all: true, filters: { label: [RUN_LABEL] } });
  if (left.length > 0) {
    await reap({ all: true });
    throw new Error(
      `containers left behind by the tests (now removed): ${left.map((c) => `${c.Names[0]} [${c.Labels[RUN_LABEL]}]`).join(', ')}`,
    );
  }
}
