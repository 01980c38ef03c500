import { stderrProgress, type Progress } from '../progress.ts';
import { assertDockerReachable } from './docker-client.ts';
import { reap } from './reaper.ts';

/** Every command that touches Docker first removes what a dead patchlab process left behind. */
export async function dockerStartup(progress: Progress = stderrProgress()): Promise<void> {
  await assertDockerReachable();
  const reaped = await reap();
  if (reaped.containers.length + reaped.images.length + reaped.vms.length > 0) {
    progress(`removed ${reaped.containers.length} container(s), ${reaped.images.length} image(s) and ${reaped.vms.length} VM host(s) left by a dead run`);
  }
}
