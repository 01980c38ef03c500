import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { reapVms } from '../../lab/hosts/vm/vm-reaper.ts';
import { VmProcess } from '../../lab/hosts/vm/vm-process.ts';
import { standIn } from '../fixtures/vm/stand-in.ts';

/**
 * The watchdog that keeps a VM from outliving patchlab, judged with a stand-in for qemu
 * (test/fixtures/vm/stand-in.ts): what matters here is the real sh watchdog, its pipe, its folder
 * and the real reaper, not the VM, and forty real VMs would take minutes to boot.
 */
const tsx = join(import.meta.dirname, '..', '..', 'node_modules', '.bin', 'tsx');
const owner = join(import.meta.dirname, '..', 'fixtures', 'vm', 'watchdog-owner.ts');

function folders(count: number): { root: string; dirs: string[] } {
  const root = mkdtempSync(join(tmpdir(), 'patchlab-watchdog-'));
  const dirs = Array.from({ length: count }, (_, i) => {
    const dir = join(root, `vm-${i}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'disk.qcow2'), 'disk');
    return dir;
  });
  return { root, dirs };
}

/** Stand-ins whose watchdog was given a folder under root. */
function standInsUnder(root: string): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((pid) => {
      try {
        const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        const env = readFileSync(`/proc/${pid}/environ`, 'utf8');
        return argv[0] === 'tail' && env.includes(`PATCHLAB_VM_DIR=${root}/`);
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function until(done: () => boolean, ms: number): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end && !done(); ) await sleep(100);
}

describe('VM watchdog', () => {
  it('stops every VM and removes every folder when its owner is killed with SIGKILL', async () => {
    const { root, dirs } = folders(12);
    const child = spawn(tsx, [owner, ...dirs], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (c: Buffer) => c.toString().includes('ready') && resolve());
      child.on('exit', (code) => reject(new Error(`owner exited ${code} before it was ready`)));
    });
    await until(() => standInsUnder(root).length === dirs.length, 10_000);
    expect(standInsUnder(root)).toHaveLength(dirs.length);
    process.kill(-(child.pid as number), 'SIGKILL');
    await until(() => standInsUnder(root).length === 0 && readdirSync(root).length === 0, 20_000);
    expect(standInsUnder(root)).toEqual([]);
    expect(readdirSync(root)).toEqual([]);
  }, 60_000);

  it('keeps the folder when the VM ends on its own, as a reboot does, and reports its exit status', async () => {
    const { dirs } = folders(1);
    const dir = dirs[0] as string;
    const vm = VmProcess.launch(['-c', 'exit 3'], dir, 'sh');
    expect(await vm.exited).toBe(3);
    expect(vm.running).toBe(false);
    expect(existsSync(join(dir, 'disk.qcow2'))).toBe(true);
  });

  it('stops the VM and removes its folder on stop()', async () => {
    const { root, dirs } = folders(1);
    const vm = standIn(dirs[0] as string);
    await until(() => standInsUnder(root).length === 1, 10_000);
    await vm.stop();
    expect(standInsUnder(root)).toEqual([]);
    expect(readdirSync(root)).toEqual([]);
  });

  it('leaves nothing when a start-up reaper kills the VMs just as their owner dies', async () => {
    // The race a loaded CI machine hits: another command's reaper sees the dead owner and kills
    // qemu while the watchdogs are doing the same. Whoever comes first, nothing may be left.
    const { root, dirs } = folders(8);
    const child = spawn(tsx, [owner, ...dirs], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    await new Promise<void>((resolve) => child.stdout.on('data', (c: Buffer) => c.toString().includes('ready') && resolve()));
    await until(() => standInsUnder(root).length === dirs.length, 10_000);
    process.kill(-(child.pid as number), 'SIGKILL');
    const reaped: string[] = [];
    // The reaper removes a folder right after its SIGKILL, and a killed process takes a moment to leave /proc: wait for both.
    await until(() => {
      reaped.push(...reapVms({}, root));
      return readdirSync(root).length === 0 && standInsUnder(root).length === 0;
    }, 20_000);
    expect(readdirSync(root)).toEqual([]);
    expect(standInsUnder(root)).toEqual([]);
  }, 60_000);
});
