import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { projectRoot } from '../../lab/config/paths.ts';

/** A `bin/patchlab` process a test started, with everything it printed so far. */
export interface PatchlabProcess {
  child: ChildProcess;
  output: string;
}

/** Starts `bin/patchlab` in a process group of its own (so a kill reaches its children), collecting its output. */
export function spawnPatchlab(args: string[], env: Record<string, string>): PatchlabProcess {
  const child = spawn(join(projectRoot, 'bin/patchlab'), args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const started: PatchlabProcess = { child, output: '' };
  child.stdout!.on('data', (chunk: Buffer) => (started.output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (started.output += chunk.toString()));
  return started;
}

export const isRunning = (p: PatchlabProcess) => p.child.exitCode === null && p.child.signalCode === null;

/** Signals the process's whole group, if it still runs. */
export function stopPatchlab(p: PatchlabProcess, signal: NodeJS.Signals): void {
  if (isRunning(p)) process.kill(-p.child.pid!, signal);
}

export const exited = (p: PatchlabProcess) => new Promise<number | null>((resolve) => (isRunning(p) ? p.child.once('exit', (code) => resolve(code)) : resolve(p.child.exitCode)));

/** Waits until `done`, failing with `what()` (the processes' output, say) after `ms`. */
export async function until(done: () => boolean, what: () => string, ms = 120_000): Promise<void> {
  for (const deadline = Date.now() + ms; !done(); await sleep(100)) if (Date.now() > deadline) throw new Error(`timed out; output:\n${what()}`);
}

/** A worker's line once it takes jobs. */
export const WORKER_READY = /worker \S+: \d+ job\(s\) at once/;
