import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { dataDir } from '../../config/paths.ts';
import { isOwnerAlive, KEEP_LABEL, OWNER_LABEL, ownerToken, RUN_LABEL } from '../labels.ts';
import { killLeftover } from './qemu-host.ts';
import { VM_HOSTS_DIR, VM_META_FILE, VM_PID_FILE } from './qemu-provider.ts';

/**
 * The VM side of the reaper: a VM host is a folder (disk overlay, console, key, labels.json) and
 * a qemu process. The watchdog normally removes both when its owner dies; this catches what a
 * killed watchdog or a power cut left, by the same label rules as containers.
 */
export function reapVms(options: { all?: boolean; runId?: string; mine?: boolean } = {}, root = join(dataDir(), VM_HOSTS_DIR)): string[] {
  if (!existsSync(root)) return [];
  const removed: string[] = strayQemus(root);
  for (const name of readdirSync(root)) {
    const dir = join(root, name);
    let labels: Record<string, string> = {};
    try {
      labels = JSON.parse(readFileSync(join(dir, VM_META_FILE), 'utf8')) as Record<string, string>;
    } catch {
      // a folder cut short before its labels were written: nobody can own it
    }
    if (options.runId && labels[RUN_LABEL] !== options.runId) continue;
    const orphaned = options.mine
      ? labels[OWNER_LABEL] === ownerToken()
      : options.all || options.runId
        ? true
        : !labels[KEEP_LABEL] && !isOwnerAlive(labels[OWNER_LABEL]);
    if (!orphaned) continue;
    killLeftover(join(dir, VM_PID_FILE), dir);
    // Its watchdog may be removing it at the same moment: a file appearing mid-removal is retried.
    rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    removed.push(name);
  }
  return removed;
}

/** A qemu still running a VM host whose folder is gone: nothing could ever stop it otherwise. */
function strayQemus(root: string): string[] {
  const stray: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // ended meanwhile
    }
    if (!argv[0]?.endsWith('qemu-system-x86_64')) continue;
    const disk = argv.find((a) => a.includes(`${root}/`));
    const name = disk?.slice(disk.indexOf(`${root}/`) + root.length + 1).split('/')[0];
    if (!name || existsSync(join(root, name))) continue;
    try {
      process.kill(Number(pid), 'SIGKILL');
      stray.push(`${name} (a qemu without its folder)`);
    } catch {
      // ended meanwhile
    }
  }
  return stray;
}
