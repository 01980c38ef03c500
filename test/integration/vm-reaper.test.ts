import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { hostLabels, OWNER_LABEL } from '../../lab/hosts/labels.ts';
import { reapVms } from '../../lab/hosts/vm/vm-reaper.ts';

/** A real qemu with nothing to run (-machine none): it idles until killed, as a left-over VM would. */
function idleQemu(nameArg: string) {
  const child = spawn('qemu-system-x86_64', ['-machine', 'none', '-nodefaults', '-display', 'none', '-monitor', 'none', '-name', nameArg], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return { child, exited };
}

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

describe('the VM reaper', () => {
  it('kills a qemu whose VM folder is gone, and leaves one whose live owner still has its folder', async () => {
    const root = mkdtempSync(join(tmpdir(), 'patchlab-vm-hosts-'));
    roots.push(root);
    mkdirSync(join(root, 'lab-1-patched-aaaaaa'));
    writeFileSync(join(root, 'lab-1-patched-aaaaaa', 'labels.json'), JSON.stringify(hostLabels('lab-1', 'patched')));
    const owned = idleQemu(`${root}/lab-1-patched-aaaaaa/disk.qcow2`);
    const stray = idleQemu(`${root}/lab-2-patched-bbbbbb/disk.qcow2`);
    try {
      await sleep(500);
      expect(reapVms({}, root)).toEqual(['lab-2-patched-bbbbbb (a qemu without its folder)']);
      await stray.exited;
      expect(owned.child.exitCode).toBeNull();
    } finally {
      owned.child.kill('SIGKILL');
      stray.child.kill('SIGKILL');
    }
  });

  it('removes the folder of a VM host whose owner is dead, and only that one', () => {
    const root = mkdtempSync(join(tmpdir(), 'patchlab-vm-hosts-'));
    roots.push(root);
    const folders = {
      'lab-3-baseline-cccccc': { ...hostLabels('lab-3', 'baseline'), [OWNER_LABEL]: `${hostname()}:999999999:1` },
      'lab-4-baseline-dddddd': hostLabels('lab-4', 'baseline'),
    };
    for (const [name, labels] of Object.entries(folders)) {
      mkdirSync(join(root, name));
      writeFileSync(join(root, name, 'labels.json'), JSON.stringify(labels));
    }
    expect(reapVms({}, root)).toEqual(['lab-3-baseline-cccccc']);
    expect(existsSync(join(root, 'lab-3-baseline-cccccc'))).toBe(false);
    expect(existsSync(join(root, 'lab-4-baseline-dddddd'))).toBe(true);
  });
});
