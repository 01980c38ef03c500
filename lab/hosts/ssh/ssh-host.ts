import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Endpoint, ExecOptions, ExecResult, FileToCopy, Host } from '../host.ts';
import { needsSudo, serverConnection, type ServerTarget, type SshClientOptions } from './server-connection.ts';
import { SshChannel } from './ssh-channel.ts';
import { classifySshFailure, sudoRefused, type SshFailure, type SshFailureReason } from './ssh-failure.ts';

const DEFAULT_TIMEOUT_MS = 120_000;
/** ssh's own errors (no connection, host key, login) end with this status; a remote command's never does here. */
const SSH_ERROR = 255;

/** A server could not be reached or used: the reason is a word a table can show, the message says what to do. */
export class SshHostError extends Error {
  readonly reason: SshFailureReason;
  constructor(
    readonly host: string,
    failure: SshFailure,
  ) {
    super(failure.detail);
    this.reason = failure.reason;
    this.name = 'SshHostError';
  }
}

/**
 * One of a team's existing servers, reached with the system OpenSSH client. patchlab did not
 * create it and never removes it: stop() only closes the connection.
 */
export class SshHost implements Host {
  readonly kind = 'server';
  readonly id: string;
  readonly name: string;
  readonly address: string;

  private constructor(
    target: ServerTarget,
    /** Who ssh logged in as, as the server says (`id -un`). */
    readonly loginUser: string,
    private readonly channel: SshChannel,
    private readonly controlDir: string,
  ) {
    this.id = target.name;
    this.name = target.name;
    this.address = target.address;
  }

  /**
   * Opens the connection and proves it can work: the login (which also checks the host key) and,
   * for a login that is not root, `sudo -n true`. Throws SshHostError with the reason.
   */
  static async connect(target: ServerTarget, client: SshClientOptions = {}, now: () => number = Date.now): Promise<SshHost> {
    // Private: the master connection's socket lets whoever can reach it run commands as the login.
    const controlDir = mkdtempSync(join(tmpdir(), 'patchlab-ssh-'));
    const plain = new SshChannel(serverConnection(target, client, controlDir, false), now);
    try {
      const limitMs = ((client.connectTimeoutSeconds ?? 10) + 20) * 1000;
      const who = await plain.raw(plain.command(['id', '-un']), limitMs);
      if (who.exitCode !== 0 || who.timedOut) {
        const failure = who.exitCode === SSH_ERROR || who.timedOut
          ? classifySshFailure(target.name, who.stderr, who.timedOut)
          : { reason: 'ssh-error' as const, detail: `${target.name}: \`id -un\` exited ${who.exitCode}: ${who.stderr.trim()}` };
        throw new SshHostError(target.name, failure);
      }
      const loginUser = who.stdout.toString('utf8').trim();
      const viaSudo = needsSudo(target, loginUser);
      const channel = viaSudo ? new SshChannel(serverConnection(target, client, controlDir, true), now) : plain;
      if (viaSudo) {
        const sudo = await channel.exec(['true'], {}, 30_000);
        if (sudo.exitCode !== 0) {
          throw new SshHostError(target.name, sudo.exitCode === SSH_ERROR ? classifySshFailure(target.name, sudo.stderr, sudo.timedOut) : sudoRefused(target.name, loginUser, sudo.stderr));
        }
      }
      return new SshHost(target, loginUser, channel, controlDir);
    } catch (error) {
      await plain.close();
      rmSync(controlDir, { recursive: true, force: true });
      throw error;
    }
  }

  /** A server's ports are its own: reached at its address, as they are. */
  endpoint(port: number): Endpoint {
    return { address: this.address, port };
  }

  async exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    if (argv.length === 0) throw new Error(`on host ${this.name}: empty command`);
    const result = await this.channel.exec(argv, options, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    // A command's failure is its result; losing the server half-way is not a result of the command.
    if (result.exitCode === SSH_ERROR && /^ssh: |Connection .*closed|Broken pipe|Host key/m.test(result.stderr)) {
      throw new SshHostError(this.name, classifySshFailure(this.name, result.stderr, result.timedOut));
    }
    return result;
  }

  copyIn(files: readonly FileToCopy[]): Promise<void> {
    return this.channel.copyIn(files, this.name);
  }

  copyOut(path: string): Promise<Buffer> {
    return this.channel.copyOut(path, this.name);
  }

  async snapshot(): Promise<string> {
    throw new Error(`host ${this.name} is a server: patchlab takes snapshots of its own container hosts only`);
  }

  /** Closes the connection. The server itself is not patchlab's: it keeps running, untouched. */
  async stop(): Promise<void> {
    await this.channel.close();
    rmSync(this.controlDir, { recursive: true, force: true });
  }
}
