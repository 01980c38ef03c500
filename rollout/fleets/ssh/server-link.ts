import { setTimeout as sleep } from 'node:timers/promises';
import type { Endpoint, ExecOptions, ExecResult, FileToCopy, Host } from '../../../lab/hosts/host.ts';
import type { ServerTarget, SshClientOptions } from '../../../lab/hosts/ssh/server-connection.ts';
import { SshHost, SshHostError } from '../../../lab/hosts/ssh/ssh-host.ts';

/** Failures that may pass (a dropped connection, a server restarting); the others (keys, login, sudo) will not without a person. */
const PASSING = new Set(['unreachable', 'ssh-error']);

export function isPassingFailure(error: unknown): error is SshHostError {
  return error instanceof SshHostError && PASSING.has(error.reason);
}

/** A server that has not answered for the fleet's limit: whatever it was doing, patchlab can no longer tell. */
export class ServerLostError extends Error {
  override name = 'ServerLostError';
}

export type Connect = (target: ServerTarget, client: SshClientOptions) => Promise<Host>;

/**
 * One server of the fleet as a Host that outlives its connections: a command after a dropped
 * connection opens a new one. It never runs a command again by itself, since a command may have
 * run before the connection dropped; callers that may repeat theirs (polls) do so, the others
 * guard their work on the server (see apt-transaction.ts).
 */
export class ServerLink implements Host {
  readonly kind = 'server';
  readonly id: string;
  readonly name: string;
  readonly address: string;
  private host: Host | undefined;

  constructor(
    readonly target: ServerTarget,
    private readonly client: SshClientOptions,
    private readonly connect: Connect = (t, c) => SshHost.connect(t, c),
  ) {
    this.id = target.name;
    this.name = target.name;
    this.address = target.address;
  }

  /** The open connection, or a new one; throws SshHostError with the reason it cannot be had. */
  async connected(): Promise<Host> {
    this.host ??= await this.connect(this.target, this.client);
    return this.host;
  }

  /**
   * Whether the server answers again within `limitMs`, trying every few seconds: a dropped
   * connection is back at once, a restarting sshd in seconds, a stopped one never.
   */
  async answersWithin(limitMs: number): Promise<{ ok: true } | { ok: false; last: Error }> {
    const deadline = Date.now() + limitMs;
    for (;;) {
      try {
        await this.drop();
        await this.connected();
        return { ok: true };
      } catch (error) {
        if (!isPassingFailure(error) || Date.now() >= deadline) return { ok: false, last: error as Error };
        await sleep(Math.min(2_000, Math.max(0, deadline - Date.now())));
      }
    }
  }

  async exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    return this.guarded((host) => host.exec(argv, options));
  }

  async copyIn(files: readonly FileToCopy[]): Promise<void> {
    return this.guarded((host) => host.copyIn(files));
  }

  async copyOut(path: string): Promise<Buffer> {
    return this.guarded((host) => host.copyOut(path));
  }

  endpoint(port: number): Endpoint {
    return { address: this.address, port };
  }

  async snapshot(): Promise<string> {
    throw new Error(`host ${this.name} is a server: patchlab takes snapshots of its own container hosts only`);
  }

  /** Closes the connection only: the server is the team's, never stopped or removed. */
  async stop(): Promise<void> {
    await this.drop();
  }

  private async drop(): Promise<void> {
    const host = this.host;
    this.host = undefined;
    await host?.stop().catch(() => undefined);
  }

  /** A failure of the connection forgets it, so the next command opens a new one. */
  private async guarded<T>(work: (host: Host) => Promise<T>): Promise<T> {
    const host = await this.connected();
    try {
      return await work(host);
    } catch (error) {
      if (isPassingFailure(error)) await this.drop();
      throw error;
    }
  }
}
