import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataDir } from '../../config/paths.ts';
import { qemuValue } from './qemu-command.ts';

export type Accel = 'kvm' | 'tcg';

/**
 * KVM when it works, TCG otherwise. /dev/kvm can exist and still fail (no nested virtualisation:
 * qemu aborts or hangs), so the answer comes from booting the kernel once under KVM until it
 * prints its banner. PATCHLAB_VM_ACCEL=kvm|tcg skips the probe. The answer is kept per machine
 * boot, since it cannot change before the next one.
 */
let probing: Promise<Accel> | undefined;

export async function vmAccel(kernel: string, env: NodeJS.ProcessEnv = process.env): Promise<Accel> {
  const forced = env.PATCHLAB_VM_ACCEL;
  if (forced === 'kvm' || forced === 'tcg') return forced;
  if (forced && forced !== 'auto') throw new Error(`PATCHLAB_VM_ACCEL: expected kvm, tcg or auto, got ${JSON.stringify(forced)}`);
  if (!kvmDeviceUsable()) return 'tcg';
  const memo = join(dataDir(), 'vm-accel.json');
  const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  try {
    const known = JSON.parse(readFileSync(memo, 'utf8')) as { bootId?: string; accel?: Accel };
    if (known.bootId === bootId && (known.accel === 'kvm' || known.accel === 'tcg')) return known.accel;
  } catch {
    // no answer kept yet
  }
  // Twins start together: one probe answers both.
  probing ??= kvmBoots(kernel).then((works) => {
    const accel: Accel = works ? 'kvm' : 'tcg';
    mkdirSync(dataDir(), { recursive: true });
    writeFileSync(memo, `${JSON.stringify({ bootId, accel })}\n`);
    return accel;
  });
  return probing;
}

function kvmDeviceUsable(): boolean {
  if (!existsSync('/dev/kvm')) return false;
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

async function kvmBoots(kernel: string, timeoutMs = 20_000): Promise<boolean> {
  const log = join(dataDir(), `kvm-probe-${process.pid}-${Date.now()}.log`);
  mkdirSync(dataDir(), { recursive: true });
  writeFileSync(log, '');
  const child = spawn(
    'qemu-system-x86_64',
    ['-machine', 'q35,accel=kvm', '-cpu', 'host', '-m', '256', '-nodefaults', '-display', 'none', '-monitor', 'none', '-no-reboot',
      '-kernel', kernel, '-append', 'console=ttyS0 panic=-1', '-chardev', `file,id=probe,path=${qemuValue(log)}`, '-serial', 'chardev:probe'],
    { stdio: 'ignore' },
  );
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  child.on('close', () => {
    exited = true;
  });
  child.on('error', () => {
    exited = true;
  });
  try {
    while (Date.now() < deadline) {
      if (readFileSync(log, 'utf8').includes('Linux version')) return true;
      if (exited) return false;
      await new Promise((r) => setTimeout(r, 200));
    }
    return false;
  } finally {
    child.kill('SIGKILL');
    rmSync(log, { force: true });
  }
}
