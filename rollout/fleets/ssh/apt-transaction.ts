import { setTimeout as sleep } from 'node:timers/promises';
import type { Endpoint, ExecOptions, ExecResult, FileToCopy, Host } from '../../../lab/hosts/host.ts';
import { silent, type Progress } from '../../../lab/progress.ts';

/*
 * An apt transaction on a server must outlive the ssh connection that starts it: a dropped
 * connection, or a driver killed with SIGKILL, would otherwise take apt down half-way (SIGPIPE)
 * and leave dpkg interrupted. So it runs detached (its own session, no terminal), and leaves its
 * record in a folder on the server: its pid, its output, then its exit status. The folder is made
 * with mkdir before apt starts, which only one caller can do: whoever comes second (a resumed
 * driver, a retry after a dropped connection) waits for the first one's end instead of running
 * the transaction again.
 */

/** Fixed scripts: the folder and apt's words reach them as "$1", "$@", never as script text. */
const LAUNCH = [
  'd=$1; shift',
  'mkdir -p "${d%/*}" && chmod 700 "${d%/*}" || exit 70',
  'mkdir "$d" 2>/dev/null || exit 75',
  // setsid: its own session, so neither a hang-up nor the end of this connection reaches it.
  `setsid sh -c '"$@" >"$0/output" 2>&1; echo $? >"$0/status.new"; mv "$0/status.new" "$0/status"' "$d" "$@" </dev/null >/dev/null 2>&1 &`,
  'echo $! >"$d/pid"',
].join('\n');

const STATE = [
  'd=$1',
  '[ -d "$d" ] || { echo none; exit 0; }',
  '[ -f "$d/status" ] && { echo "ended $(cat "$d/status")"; exit 0; }',
  'p=$(cat "$d/pid" 2>/dev/null)',
  'if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then echo "running $p"; else echo vanished; fi',
].join('\n');

/** An exit status `sh -c` never gives: mkdir found the folder, the transaction was started before. */
const STARTED_BEFORE = 75;
const OUTPUT_LIMIT = 256 * 1024;

export type TransactionState = { kind: 'none' } | { kind: 'running'; pid: number } | { kind: 'ended'; status: number } | { kind: 'vanished' };

/** Parses STATE's one line. Pure. */
export function parseTransactionState(line: string): TransactionState {
  const [word, value] = line.trim().split(/\s+/);
  if (word === 'none' || word === 'vanished') return { kind: word };
  if (word === 'running' && /^\d+$/.test(value ?? '')) return { kind: 'running', pid: Number(value) };
  if (word === 'ended' && /^\d+$/.test(value ?? '')) return { kind: 'ended', status: Number(value) };
  throw new Error(`unexpected answer about an apt transaction: ${JSON.stringify(line.slice(0, 80))}`);
}

export interface AptTransactionOptions {
  /** The longest the transaction may run (the lab's own dpkg limit). */
  timeoutMs: number;
  progress?: Progress;
  pollMs?: number;
}

/**
 * One apt transaction of a rollout on one server (its patch, or its restore), at most once.
 * `host` is the server as lab/patches' applyPatch and rollbackPatch take it: every command goes
 * through as it is, except apt-get, which becomes this transaction.
 */
export class AptTransaction {
  constructor(
    private readonly server: Host,
    /** Root's own folder on the server, e.g. /var/lib/patchlab/rollouts/<hash>/patch. */
    readonly folder: string,
    private readonly options: AptTransactionOptions,
  ) {}

  async state(): Promise<TransactionState> {
    const result = await this.server.exec(['sh', '-c', STATE, 'sh', this.folder], { timeoutMs: 30_000 });
    if (result.exitCode !== 0) throw new Error(`on ${this.server.name}: cannot read the record of ${this.folder}: ${result.stderr.trim()}`);
    return parseTransactionState(result.stdout);
  }

  /** Starts apt-get as the transaction unless it was started before, then waits for its end; a result like exec's. */
  async run(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const started = Date.now();
    const limitS = Math.ceil(this.options.timeoutMs / 1000);
    // timeout inside the detached job: the limit holds even with nobody connected.
    const job = ['timeout', '--kill-after=10', `${limitS}s`, ...argv];
    const launch = await this.server.exec(['sh', '-c', LAUNCH, 'sh', this.folder, ...job], { ...options, timeoutMs: 30_000 });
    if (launch.exitCode === STARTED_BEFORE) {
      (this.options.progress ?? silent)(`${this.server.name}: an apt transaction of this rollout was started before (${this.folder}): waiting for it, never starting another`);
    } else if (launch.exitCode !== 0 && (await this.state()).kind === 'none') {
      // Only when no record was left: an answer lost on the way back may hide a start that happened.
      return { ...launch, stderr: `cannot start the apt transaction on ${this.server.name}: ${launch.stderr.trim() || `exit ${launch.exitCode}`}` };
    }
    const status = await this.ended();
    const output = await this.output();
    const note = status === null ? '\nthe apt transaction ended without an exit status: it was killed, or the server restarted during it\n' : '';
    return { exitCode: status ?? 1, stdout: `${output}${note}`, stderr: '', durationMs: Date.now() - started, timedOut: status === 124 || status === 137 };
  }

  /** Waits while it runs; its exit status, or null when it vanished without one. */
  async ended(): Promise<number | null> {
    // Its own timeout ends it within the limit; a minute more before patchlab stops believing that.
    const limitMs = this.options.timeoutMs + 60_000;
    const deadline = Date.now() + limitMs;
    for (;;) {
      const state = await this.state();
      if (state.kind === 'ended') return state.status;
      if (state.kind === 'vanished' || state.kind === 'none') return null;
      if (Date.now() > deadline) throw new Error(`on ${this.server.name}: the apt transaction (pid ${state.pid}) still runs after ${Math.round(limitMs / 1000)} s of waiting`);
      await sleep(this.options.pollMs ?? 1_000);
    }
  }

  private async output(): Promise<string> {
    const result = await this.server.exec(['tail', '-c', String(OUTPUT_LIMIT), `${this.folder}/output`], { timeoutMs: 30_000 });
    return result.exitCode === 0 ? result.stdout : '';
  }

  /** The server as applyPatch and rollbackPatch take it, with apt-get made this transaction. */
  host(): Host {
    const server = this.server;
    const transaction = this;
    return {
      id: server.id,
      name: server.name,
      kind: server.kind,
      address: server.address,
      endpoint: (port: number): Endpoint => server.endpoint(port),
      exec: (argv: readonly string[], options?: ExecOptions) => (argv[0] === 'apt-get' ? transaction.run(argv, options) : server.exec(argv, options)),
      copyIn: (files: readonly FileToCopy[]) => server.copyIn(files),
      copyOut: (path: string) => server.copyOut(path),
      snapshot: (tag: string) => server.snapshot(tag),
      stop: () => server.stop(),
    };
  }
}
