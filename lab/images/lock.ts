import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isOwnerAlive, ownerToken } from '../hosts/labels.ts';

/**
 * A cross-process lock (a directory, created atomically) so two patchlab processes never build
 * the same image or fill the same cache at once. A lock whose owner died is taken over.
 */
export async function withLock<T>(dir: string, name: string, work: () => Promise<T>, waitMs = 30 * 60_000): Promise<T> {
  const lock = join(dir, `${name}.lock`);
  mkdirSync(dir, { recursive: true });
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'owner'), ownerToken());
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let owner: string | undefined;
      try {
        owner = readFileSync(join(lock, 'owner'), 'utf8');
      } catch {
        owner = undefined; // being written right now, or left empty by a crash
      }
      if (owner !== undefined && !isOwnerAlive(owner)) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`waited too long for lock ${lock} (held by ${owner ?? 'unknown'})`);
      await sleep(250);
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
