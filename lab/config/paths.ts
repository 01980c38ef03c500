import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Where patchlab keeps its caches, reports and state; PATCHLAB_HOME moves it. */
export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.PATCHLAB_HOME ?? join(homedir(), '.patchlab'));
}

export const projectRoot = resolve(import.meta.dirname, '..', '..');
