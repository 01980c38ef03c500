import { spawn } from 'node:child_process';
import type { ExecOptions, ExecResult, FileToCopy } from '../host.ts';
import { packFiles } from '../tar.ts';
import { remoteCommand } from '../vm/remote-shell.ts';

const MAX_CAPTURE = 64 * 1024 * 1024;

export interface RawResult {
  exitCode: number;
  stdout: Buffer;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
}

/** How to reach one machine with the system OpenSSH client. */
export interface SshConnection {
  /** ssh's options and destination; `extra` options (such as `-O exit`) go before the destination. */
  args(extra: readonly string[]): string[];
  /** The login is not root: commands become root through `sudo -n`. */
  viaSudo?: boolean;
}

/**
 * A command channel over OpenSSH's client (a VM's agent, a team's server). argv goes through
 * remoteCommand's quoting and ssh is spawned with an argv: no local shell ever parses a word.
 */
export class SshChannel {
  constructor(
    private readonly connection: SshConnection,
    private readonly now: () => number = Date.now,
  ) {}

  async exec(argv: readonly string[], options: ExecOptions = {}, timeoutMs = 120_000): Promise<ExecResult> {
    const result = await this.raw(this.command(argv, options, timeoutMs / 1000), timeoutMs + 5_000);
    const timedOut = result.timedOut || ((result.exitCode === 124 || result.exitCode === 137) && result.durationMs >= timeoutMs - 50);
    return { exitCode: result.exitCode, stdout: result.stdout.toString('utf8'), stderr: result.stderr, durationMs: result.durationMs, timedOut };
  }

  /** The command line the far side runs for an argv, through sudo when the login needs it. */
  command(argv: readonly string[], options: ExecOptions = {}, timeoutSeconds?: number): string {
    return remoteCommand(argv, options, timeoutSeconds, this.connection.viaSudo ?? false);
  }

  /** Runs a command line the caller built with command(); stdout stays bytes (copyOut needs them). */
  raw(command: string, limitMs: number, input?: Buffer | NodeJS.ReadableStream): Promise<RawResult> {
    const started = this.now();
    return new Promise((resolve, reject) => {
      const child = spawn('ssh', [...this.connection.args([]), command], { stdio: ['pipe', 'pipe', 'pipe'] });
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
      child.stdin.on('error', () => undefined); // the far side may close early; the exit status says why
      if (input === undefined || Buffer.isBuffer(input)) child.stdin.end(input ?? Buffer.alloc(0));
      else input.pipe(child.stdin);
    });
  }

  /** Files land through tar on the far side, so their modes and parent folders come with them. */
  async copyIn(files: readonly FileToCopy[], hostName: string): Promise<void> {
    const result = await this.raw(this.command(['tar', '-C', '/', '-x', '-f', '-']), 300_000, packFiles(files));
    if (result.exitCode !== 0) throw new Error(`on host ${hostName}: cannot copy in ${files.map((f) => f.path).join(', ')}: ${result.stderr.trim()}`);
  }

  async copyOut(path: string, hostName: string): Promise<Buffer> {
    const result = await this.raw(this.command(['cat', '--', path]), 300_000);
    if (result.exitCode !== 0) throw new Error(`on host ${hostName}: cannot copy out ${path}: ${result.stderr.trim() || `exit ${result.exitCode}`}`);
    return result.stdout;
  }

  /** Ends the master connection; later calls would open a new one. Never throws. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      const child = spawn('ssh', [...this.connection.args(['-O', 'exit'])], { stdio: 'ignore' });
      child.on('error', () => resolve());
      child.on('close', () => resolve());
    });
  }
}
