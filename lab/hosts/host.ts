/**
 * The HostProvider port: what the lab needs from a disposable machine, whatever runs it
 * (a container today, a VM later). Callers pass argv arrays, never shell strings, so nothing
 * user-supplied is ever re-parsed by a shell on the way in.
 */
export interface ExecOptions {
  /** Wall-clock limit; the result says timedOut instead of hanging the run. */
  timeoutMs?: number;
  env?: Record<string, string>;
  user?: string;
  workdir?: string;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
}

export interface FileToCopy {
  path: string;
  content: Buffer | string;
  mode?: number;
}

export interface Mount {
  source: string;
  target: string;
  readOnly?: boolean;
}

export interface HostSpec {
  image: string;
  runId: string;
  /** What the host is for in its run (baseline, patched, fetcher, ...), kept as a label. */
  role: string;
  name?: string;
  mounts?: Mount[];
  /** Small filesystems of the host's own, such as the full disk of the disk-full fault. */
  tmpfs?: { target: string; sizeBytes: number }[];
  env?: Record<string, string>;
  /** Service ports the lab must reach; a VM forwards them to loopback, a container needs nothing. */
  ports?: number[];
  /** Overrides the image's command; by default the host idles so the lab decides what runs. */
  command?: string[];
  labels?: Record<string, string>;
}

export interface Endpoint {
  address: string;
  port: number;
}

export interface RebootOutcome {
  /** The agent answered again within the time limit. */
  ok: boolean;
  /** What happened, in a sentence. */
  detail: string;
  durationMs: number;
  /** uname -r after the reboot. */
  kernel?: string;
  /** The console since the reboot began: the evidence when the host does not come back. */
  console: string;
}

export interface Host {
  readonly id: string;
  readonly name: string;
  /** A server is one of a team's own machines, reached over SSH: never created or removed by patchlab. */
  readonly kind: 'container' | 'vm' | 'server';
  /** Address the lab process can reach the host's ports on. */
  readonly address: string;
  /** Where the lab process reaches one of the host's ports. */
  endpoint(port: number): Endpoint;
  /** Hosts with a kernel of their own can reboot; a container cannot. */
  reboot?(timeoutMs?: number): Promise<RebootOutcome>;
  exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  copyIn(files: readonly FileToCopy[]): Promise<void>;
  copyOut(path: string): Promise<Buffer>;
  /** Freezes the host's filesystem as an image; returns its reference. */
  snapshot(tag: string): Promise<string>;
  stop(): Promise<void>;
}

export interface HostProvider {
  start(spec: HostSpec): Promise<Host>;
}

export class HostCommandError extends Error {
  constructor(
    readonly host: string,
    readonly argv: readonly string[],
    readonly result: ExecResult,
    what = 'failed',
  ) {
    const detail = result.timedOut
      ? `timed out after ${Math.round(result.durationMs / 1000)} s`
      : `exited ${result.exitCode}`;
    const tail = (result.stderr || result.stdout).trim().split('\n').slice(-5).join('\n');
    super(`on host ${host}: command ${JSON.stringify(argv)} ${what}: ${detail}${tail ? `\n${tail}` : ''}`);
    this.name = 'HostCommandError';
  }
}

/** Runs a command and throws a HostCommandError naming host and command unless it exits 0. */
export async function mustExec(host: Host, argv: readonly string[], options?: ExecOptions): Promise<ExecResult> {
  const result = await host.exec(argv, options);
  if (result.exitCode !== 0 || result.timedOut) throw new HostCommandError(host.name, argv, result);
  return result;
}
