import { closeSync, existsSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Endpoint, ExecOptions, ExecResult, FileToCopy, Host, RebootOutcome } from '../host.ts';
import { qemuArgv, type VmLaunch } from './qemu-command.ts';
import { remoteCommand } from './remote-shell.ts';
import type { SshChannel } from '../ssh/ssh-channel.ts';
import { VmProcess } from './vm-process.ts';

const DEFAULT_TIMEOUT_MS = 120_000;
const CONSOLE_TAIL = 6_000;

export interface SharedMount {
  tag: string;
  target: string;
  readOnly: boolean;
}

/** A boot that did not reach the agent: why, and the console that shows it. */
export class BootFailed extends Error {
  constructor(
    readonly reason: string,
    readonly console: string,
  ) {
    super(`${reason}; console:\n${console}`);
    this.name = 'BootFailed';
  }
}

/**
 * A disposable VM: qemu on a copy-on-write overlay of the image's disk, reached through sshd on
 * a forwarded port. A reboot is real: the guest goes down, and the VM starts again from the
 * kernel and initramfs its /vmlinuz and /initrd.img name now, as a boot loader would.
 */
export class QemuHost implements Host {
  readonly kind = 'vm';
  readonly address = '127.0.0.1';
  private vm: VmProcess | undefined;

  constructor(
    readonly id: string,
    readonly name: string,
    private readonly dir: string,
    private launch: VmLaunch,
    private readonly channel: SshChannel,
    private readonly forwards: ReadonlyMap<number, number>,
    private readonly mounts: readonly SharedMount[],
    private readonly bootTimeoutMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Starts qemu and waits for the agent; throws BootFailed with the console when the guest does not come up. */
  async boot(timeoutMs = this.bootTimeoutMs): Promise<void> {
    this.vm = VmProcess.launch(qemuArgv(this.launch), this.dir);
    await this.waitUntilUp(timeoutMs);
  }

  get consoleLog(): string {
    return this.launch.consoleLog;
  }

  endpoint(port: number): Endpoint {
    return { address: this.address, port: this.forwards.get(port) ?? port };
  }

  /** Waits until the guest's agent answers, then mounts the shared folders. */
  private async waitUntilUp(timeoutMs: number, consoleFrom = 0): Promise<void> {
    const deadline = this.now() + timeoutMs;
    while (this.now() < deadline) {
      if (!this.vm?.running) {
        throw new BootFailed(`VM ${this.name} stopped while booting${this.vm?.errors ? ` (${this.vm.errors})` : ''}`, this.consoleSince(consoleFrom));
      }
      const probe = await this.channel.raw('true', 15_000).catch(() => undefined);
      if (probe?.exitCode === 0) {
        for (const m of this.mounts) {
          const options = `trans=virtio,version=9p2000.L,msize=262144${m.readOnly ? ',ro' : ''}`;
          await this.mustRun(['mkdir', '-p', m.target]);
          await this.mustRun(['mount', '-t', '9p', '-o', options, m.tag, m.target]);
        }
        return;
      }
      await sleep(1_000);
    }
    throw new BootFailed(`VM ${this.name}: no answer from its agent within ${Math.round(timeoutMs / 1000)} s`, this.consoleSince(consoleFrom));
  }

  async exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    if (argv.length === 0) throw new Error(`on host ${this.name}: empty command`);
    return this.channel.exec(argv, options, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  }

  async copyIn(files: readonly FileToCopy[]): Promise<void> {
    await this.channel.copyIn(files, this.name);
  }

  async copyOut(path: string): Promise<Buffer> {
    return this.channel.copyOut(path, this.name);
  }

  async snapshot(): Promise<string> {
    throw new Error(`host ${this.name} is a VM: snapshots are taken of container hosts only`);
  }

  async reboot(timeoutMs = this.bootTimeoutMs): Promise<RebootOutcome> {
    const started = this.now();
    const consoleFrom = this.consoleSize();
    const outcome = (ok: boolean, detail: string, kernel?: string): RebootOutcome => ({
      ok,
      detail,
      durationMs: this.now() - started,
      console: this.consoleSince(consoleFrom),
      ...(kernel ? { kernel } : {}),
    });
    let kernel: Buffer;
    let initrd: Buffer;
    try {
      kernel = await this.copyOut('/vmlinuz');
      initrd = await this.copyOut('/initrd.img');
    } catch (error) {
      return outcome(false, `no kernel to boot: ${(error as Error).message}`);
    }
    const bootDir = join(this.dir, `boot-${started}`);
    writeFileSync(`${bootDir}-vmlinuz`, kernel);
    writeFileSync(`${bootDir}-initrd.img`, initrd);
    // No service manager to stop things in order: flush, then reset, as a power cycle would.
    await this.channel.raw(remoteCommand(['sh', '-c', 'sync; echo b > /proc/sysrq-trigger']), 15_000).catch(() => undefined);
    const vm = this.vm;
    const down = vm ? await Promise.race([vm.exited.then(() => true), sleep(30_000).then(() => false)]) : true;
    if (!down) await vm?.stop();
    await this.channel.close();
    this.launch = { ...this.launch, kernel: `${bootDir}-vmlinuz`, initrd: `${bootDir}-initrd.img` };
    this.vm = VmProcess.launch(qemuArgv(this.launch), this.dir);
    try {
      await this.waitUntilUp(timeoutMs, consoleFrom);
    } catch (error) {
      return outcome(false, error instanceof BootFailed ? error.reason : (error as Error).message);
    }
    const release = await this.exec(['uname', '-r'], { timeoutMs: 30_000 });
    return outcome(true, 'came back', release.stdout.trim());
  }

  async stop(): Promise<void> {
    await this.channel.close();
    await this.vm?.stop();
    killLeftover(this.launch.pidFile, this.dir);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async mustRun(argv: string[]): Promise<void> {
    const result = await this.exec(argv, { timeoutMs: 30_000 });
    if (result.exitCode !== 0) throw new Error(`on host ${this.name}: ${argv.join(' ')} exited ${result.exitCode}: ${result.stderr.trim()}`);
  }

  private consoleSize(): number {
    return existsSync(this.launch.consoleLog) ? statSync(this.launch.consoleLog).size : 0;
  }

  /** The console since an offset, last part only: a boot under TCG prints a lot. */
  consoleSince(offset: number): string {
    if (!existsSync(this.launch.consoleLog)) return '';
    const size = statSync(this.launch.consoleLog).size;
    const from = Math.max(offset, size - CONSOLE_TAIL);
    const buffer = Buffer.alloc(Math.max(0, size - from));
    const fd = openSync(this.launch.consoleLog, 'r');
    try {
      readSync(fd, buffer, 0, buffer.length, from);
    } finally {
      closeSync(fd);
    }
    // The terminal escapes SeaBIOS and the kernel send are noise in a report.
    return buffer.toString('utf8').replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '').trim();
  }
}

/** A qemu whose watchdog was killed: found by its pid file, and only if it still runs this VM. */
export function killLeftover(pidFile: string, dir: string): void {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 1) return;
  try {
    if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir)) return;
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
