import { spawn } from 'node:child_process';
import type { ExecOptions, ExecResult } from '../host.ts';
import { remoteCommand } from './remote-shell.ts';

const MAX_CAPTURE = 64 * 1024 * 1024;

export interface SshTarget {
  port: number;
  keyFile: string;
  /** One master connection per host: under TCG a fresh key exchange costs the guest seconds. */
  controlPath: string;
}

export interface RawResult {
  exitCode: number;
  stdout: Buffer;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
}

/**
 * The agent channel to a VM host: OpenSSH's client against the guest's sshd on a forwarded port.
 * argv goes through remoteCommand's quoting, never through a shell on this side.
 */
export class SshChannel {
  constructor(
    private readonly target: SshTarget,
    private readonly now: () => number = Date.now,
  ) {}

  private args(extra: string[]): string[] {
    return [
      '-i', this.target.keyFile,
      '-p', String(this.target.port),
      '-o', 'BatchMode=yes',
      '-o', 'IdentitiesOnly=yes',
      // Every VM host is new and lives on loopback: there is no host key worth remembering.
      '-o', 'StrictHostKeyChecking=no',
      '-o', 'UserKnownHostsFile=/dev/null',
      '-o', 'LogLevel=ERROR',
      '-o', 'ConnectTimeout=10',
      '-o', 'ServerAliveInterval=5',
      '-o', 'ServerAliveCountMax=6',
      '-o', 'ControlMaster=auto',
      '-o', `ControlPath=${this.target.controlPath}`,
      '-o', 'ControlPersist=yes',
      ...extra,
      'root@127.0.0.1',
    ];
  }

  async exec(argv: readonly string[], options: ExecOptions = {}, timeoutMs = 120_000): Promise<ExecResult> {
    const result = await this.raw(remoteCommand(argv, options, timeoutMs / 1000), timeoutMs + 5_000);
    const timedOut = result.timedOut || ((result.exitCode === 124 || result.exitCode === 137) && result.durationMs >= timeoutMs - 50);
    return { exitCode: result.exitCode, stdout: result.stdout.toString('utf8'), stderr: result.stderr, durationMs: result.durationMs, timedOut };
  }

  /** Runs a command line the caller built with remoteCommand; stdout stays bytes (copyOut needs them). */
  raw(command: string, limitMs: number, input?: Buffer | NodeJS.ReadableStream): Promise<RawResult> {
    const started = this.now();
    return new Promise((resolve, reject) => {
      const child = spawn('ssh', [...this.args([]), command], { stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      let outSize = 0;
      let err = '';
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, limitMs);
      child.stdout.on('data', (chunk: Buffer) => {
        if (outSize < MAX_CAPTURE) out.push(chunk);
        outSize += chunk.length;
      });
      child.stderr.on('data', (chunk: Buffer) => {
        if (err.length < MAX_CAPTURE) err += chunk.toString('utf8');
      });
      child.on('error', (error) => {
        clearTimeout(timer);
        reject(new Error(`cannot run ssh: ${error.message} (bin/setup installs openssh-client)`));
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({
          exitCode: timedOut ? 124 : (code ?? (signal ? 128 : -1)),
          stdout: Buffer.concat(out),
          stderr: err,
          durationMs: this.now() - started,
          timedOut,
        });
      });
      child.stdin.on('error', () => undefined); // the guest may close early; the exit status says why
      if (input === undefined || Buffer.isBuffer(input)) child.stdin.end(input ?? Buffer.alloc(0));
      else input.pipe(child.stdin);
    });
  }

  /** Ends the master connection; later calls would open a new one. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      const child = spawn('ssh', [...this.args(['-O', 'exit'])], { stdio: 'ignore' });
      child.on('error', () => resolve());
      child.on('close', () => resolve());
    });
  }
}
