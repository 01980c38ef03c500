import Docker from 'dockerode';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildAll } from '../lab/images/build.ts';
import { assertDockerReachable } from '../lab/hosts/docker-client.ts';
import { isOwnerAlive, KEEP_LABEL, OWNER_LABEL, ownerToken, RUN_LABEL } from '../lab/hosts/labels.ts';
import { reap } from '../lab/hosts/reaper.ts';
import { reapVms } from '../lab/hosts/vm/vm-reaper.ts';
import { stderrProgress } from '../lab/progress.ts';

/**
 * Real parts: the suite needs the Docker engine and the production images. Builds are cached by
 * definition hash, so this is quick unless a definition changed.
 */
/** What was there before the suite (a kept fleet of someone's rollout): not the suite's to judge. */
const before = new Set<string>();

/**
 * Suites running side by side on one engine (several checkouts of the project): a kept fleet whose
 * first driver died may be another suite's take-over in progress, so it is left to the last suite.
 */
const SUITES = join(tmpdir(), 'patchlab-test-suites');
const me = ownerToken().replaceAll(':', '_');

function otherSuitesRunning(): boolean {
  return readdirSync(SUITES).some((name) => name !== me && isOwnerAlive(name.replaceAll('_', ':')));
}

export async function setup(): Promise<void> {
  mkdirSync(SUITES, { recursive: true });
  writeFileSync(join(SUITES, me), '');
  await assertDockerReachable();
  await reap();
  for (const c of await new Docker().listContainers({ all: true, filters: { label: [RUN_LABEL] } })) before.add(c.Id);
  await buildAll({ progress: stderrProgress('images') });
}

/**
 * Every test process has exited by now, so a labelled container whose owner is dead was left
 * behind by a test. Containers of live processes (someone's run beside the suite) are not ours.
 */
export async function teardown(): Promise<void> {
  // VM hosts whose owner is gone: a qemu process or a disk a test left behind.
  const vms = reapVms();
  if (vms.length > 0) throw new Error(`VM hosts left behind by the tests (now removed): ${vms.join(', ')}`);
  rmSync(join(SUITES, me), { force: true });
  const docker = new Docker();
  const othersRunning = otherSuitesRunning();
  const left = (await docker.listContainers({ all: true, filters: { label: [RUN_LABEL] } })).filter(
    // Kept fleets too: a test that leaves one for a resume must remove it before it ends.
    (c) => !before.has(c.Id) && !isOwnerAlive(c.Labels[OWNER_LABEL]) && !(othersRunning && c.Labels[KEEP_LABEL] !== undefined),
  );
  if (left.length > 0) {
    await Promise.all(left.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined)));
    throw new Error(
      `containers left behind by the tests (now removed): ${left.map((c) => `${c.Names[0]} [${c.Labels[RUN_LABEL]}]`).join(', ')}`,
    );
  }
}
