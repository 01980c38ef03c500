import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { dataDir } from '../../lab/config/paths.ts';
import { VM_HOSTS_DIR } from '../../lab/hosts/vm/qemu-provider.ts';
import { bootBreakingDeb } from '../../lab/patches/synthetic-deb.ts';
import type { LabReport } from '../../lab/run/report.ts';

/**
 * VM hosts under TCG (no usable KVM here): every boot and every dpkg run is emulated, so these
 * are the slowest tests of the suite; test/sequencer.ts starts them first.
 */
const run = promisify(execFile);
const bin = join(import.meta.dirname, '..', '..', 'bin', 'patchlab');

async function labRun(args: string[]): Promise<{ code: number; out: string; report: LabReport; reportDir: string }> {
  const reportDir = mkdtempSync(join(tmpdir(), 'patchlab-vm-report-'));
  const outcome = await run(bin, ['lab', 'run', '--host', 'vm', '--report-dir', reportDir, ...args], { maxBuffer: 64 * 1024 * 1024 }).then(
    (r) => ({ code: 0, out: `${r.stdout}\n${r.stderr}` }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: `${e.stdout}\n${e.stderr}` }),
  );
  const file = join(reportDir, 'report.json');
  if (!existsSync(file)) throw new Error(`lab run exited ${outcome.code} without a report:\n${outcome.out}`);
  return { ...outcome, reportDir, report: JSON.parse(readFileSync(file, 'utf8')) as LabReport };
}

/** qemu processes whose command line names a VM host folder of this run. */
function qemuOf(runId: string): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((pid) => {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        return cmdline.startsWith('qemu-system') && cmdline.includes(runId);
      } catch {
        return false;
      }
    })
    .map(Number);
}

function vmFoldersOf(runId: string): string[] {
  const root = join(dataDir(), VM_HOSTS_DIR);
  return existsSync(root) ? readdirSync(root).filter((d) => d.startsWith(runId)) : [];
}

describe('patchlab lab run --host vm', () => {
  // The kernel and one small update prove the same code as the day's whole security set, which
  // took 14 minutes of CI under TCG and grows with every Patch Tuesday.
  it('passes the pending kernel update and a small one: the patched VM reboots into the new kernel, the rolled-back one into the old', async () => {
    const { code, out, report } = await labRun(['--image', 'web', '--patch', 'linux-image-amd64,tzdata']);
    expect(report.verdict, out).toBe('pass');
    expect(code, out).toBe(0);
    expect(report.hostKind).toBe('vm');
    const kernel = report.patch.packages.find((p) => /^linux-image-\d/.test(p.name));
    expect(kernel, 'the VM image has a pending kernel security update').toBeDefined();
    expect(report.reboot).toMatchObject({ ok: true, expectedKernel: kernel?.name.replace('linux-image-', ''), kernel: kernel?.name.replace('linux-image-', '') });
    expect(report.reboot?.kernelBefore).not.toBe(report.reboot?.kernel);
    expect(report.rollbackReboot).toMatchObject({ ok: true, kernel: report.reboot?.kernelBefore });
    expect(report.rollback).toMatchObject({ restored: true, remaining: [] });
    expect(report.checks.some((c) => c.kind === 'http' && c.comparison === 'ok' && c.afterRollback?.status === 'pass')).toBe(true);
    expect(out).toMatch(/reboot: came back in [\d.]+ s, kernel \S+ -> \S+/);
    expect(qemuOf(report.runId)).toEqual([]);
    expect(vmFoldersOf(report.runId)).toEqual([]);
  }, 40 * 60_000);

  it('fails a patch after which the VM does not boot, with the console as evidence', async () => {
    const deb = bootBreakingDeb(mkdtempSync(join(tmpdir(), 'patchlab-deb-')));
    const { code, out, report, reportDir } = await labRun(['--image', 'web', '--patch', deb]);
    expect(report.verdict, out).toBe('fail');
    expect(code, out).toBe(1);
    expect(report.reboot?.ok).toBe(false);
    expect(report.reasons[0]).toMatch(/^the patched host did not come back from its reboot: .*console: .*(Kernel panic|Unable to mount root)/);
    expect(readFileSync(join(reportDir, 'console-patched.log'), 'utf8')).toMatch(/Kernel panic/);
    expect(qemuOf(report.runId)).toEqual([]);
    expect(vmFoldersOf(report.runId)).toEqual([]);
  }, 20 * 60_000);

  it('leaves no qemu process or disk behind when the patchlab process is killed', async () => {
    // Its own process group, killed whole: bin/patchlab is tsx, whose node child is the lab run.
    const child = spawn(bin, ['lab', 'run', '--host', 'vm', '--image', 'web', '--patch', 'tzdata'], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const runId = await (async () => {
      for (let i = 0; i < 600; i++) {
        const id = /run (lab-\S+):/.exec(stderr)?.[1];
        // Both twins' qemu: a VM killed before its qemu starts is a folder the next command's reaper removes.
        if (id && qemuOf(id).length >= 2) return id;
        await sleep(500);
      }
      throw new Error(`no VM host started within 5 min:\n${stderr}`);
    })();
    process.kill(-(child.pid as number), 'SIGKILL');
    // The watchdog holds a pipe from the killed process; it stops the VM and removes its disk.
    for (let i = 0; i < 60 && (qemuOf(runId).length > 0 || vmFoldersOf(runId).length > 0); i++) await sleep(500);
    expect(qemuOf(runId)).toEqual([]);
    expect(vmFoldersOf(runId)).toEqual([]);
    // The fetcher container goes with the next command, as every container of a dead run does.
    await run(bin, ['lab', 'reap']);
  }, 10 * 60_000);
});
