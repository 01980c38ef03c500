import { randomBytes } from 'node:crypto';
import { debianMirror, type DebianMirror } from '../../lab/config/mirror.ts';
import { assertDockerReachable } from '../../lab/hosts/docker-client.ts';
import { reap } from '../../lab/hosts/reaper.ts';
import { stderrProgress, type Progress } from '../../lab/progress.ts';

export interface MirrorFlags {
  mirror?: string;
  securityMirror?: string;
}

export function mirrorFrom(flags: MirrorFlags, suite = 'bookworm'): DebianMirror {
  return debianMirror(suite, {
    ...(flags.mirror ? { archive: flags.mirror } : {}),
    ...(flags.securityMirror ? { security: flags.securityMirror } : {}),
  });
}

/** Every command that touches Docker first removes what a dead patchlab process left behind. */
export async function dockerStartup(progress: Progress = stderrProgress()): Promise<void> {
  await assertDockerReachable();
  const reaped = await reap();
  if (reaped.containers.length + reaped.images.length > 0) {
    progress(`removed ${reaped.containers.length} container(s) and ${reaped.images.length} image(s) left by a dead run`);
  }
}

export function newRunId(kind: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  return `${kind}-${stamp}-${randomBytes(2).toString('hex')}`;
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
