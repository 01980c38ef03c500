import { randomBytes } from 'node:crypto';
import type { ExecOptions, ExecResult, Host } from '../hosts/host.ts';
import { remoteCommand } from '../hosts/vm/remote-shell.ts';
import { PROBE_SHELL_VARIABLE } from './host-probes.ts';

/**
 * A host whose exec calls, made in the same turn of the event loop, run together in one exec: one
 * shell that runs the commands one after another (each under its own GNU timeout, as a lone exec
 * would be) and prints each one's stdout, stderr, exit code and run time back. One after another,
 * not side by side: a process check reading /proc would otherwise see a command check of the same
 * batch (`nginx -t` is a process named nginx) and pass for a daemon that is down. A goss
 * file's probes are read-only and start together, so a check of a host costs one exec per step of
 * its probes (two for the `web` image's file), not one per probe: each exec of a container costs
 * the engine and runc far more CPU than the probe itself, and on a fleet checked every few seconds
 * that CPU is taken from the patches being installed.
 *
 * Each caller gets the ExecResult its own exec would have given. What the batch could not say
 * (its shell could not start, its output was cut short) is run again alone. Needs a Linux host
 * with a POSIX shell, mktemp and GNU timeout: every Debian image has them; a host without
 * `timeout` gets every command alone, as before.
 */
export function batchedExecs(host: Host, runScript?: ScriptRunner): Host {
  // A lone command through an exec of its own costs no more than through an exec of sh; a kept shell costs no exec at all.
  const batcher = runScript ? new ExecBatcher(host, runScript, 1) : new ExecBatcher(host, (script, timeoutMs) => host.exec(['sh', '-c', script], { timeoutMs }), 2);
  return new Proxy(host, {
    get(target, property) {
      if (property === 'exec') return (argv: readonly string[], options?: ExecOptions) => batcher.exec(argv, options);
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * Runs a batch's script in a POSIX shell on the host: by default an exec of `sh -c`; a host that
 * keeps a shell open (see rollout/fleets/containers/shell-session.ts) saves even that exec.
 */
export type ScriptRunner = (script: string, timeoutMs: number) => Promise<ExecResult>;

interface Pending {
  argv: readonly string[];
  options: ExecOptions;
  resolve: (result: ExecResult) => void;
  reject: (error: unknown) => void;
}

/** As a lone exec of a DockerHost: two minutes unless the caller says otherwise. */
const DEFAULT_TIMEOUT_MS = 120_000;
/** Beyond the longest command's limit: GNU timeout's --kill-after=2, then the shell printing what it kept. */
const BATCH_MARGIN_MS = 5_000;
/** The shell's own exit codes when it cannot run the batch at all: every command then runs alone. */
const NO_TEMP_DIR = 97;
const NO_TIMEOUT = 96;

class ExecBatcher {
  private pending: Pending[] = [];

  constructor(
    private readonly host: Host,
    private readonly runScript: ScriptRunner,
    /** The fewest commands worth a script: fewer run alone. */
    private readonly fewest: number,
  ) {}

  exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      // setImmediate runs after the promise jobs of this turn: every probe started together has asked by then.
      if (this.pending.length === 0) setImmediate(() => this.flush());
      this.pending.push({ argv, options, resolve, reject });
    });
  }

  private flush(): void {
    // A command no shell line can carry (a NUL in a word) runs alone, where its own exec says what is wrong with it.
    const batch = this.pending.filter((p) => scriptable(p));
    this.alone(this.pending.filter((p) => !batch.includes(p)));
    this.pending = [];
    if (batch.length < this.fewest) this.alone(batch);
    else void this.together(batch);
  }

  private alone(batch: Pending[]): void {
    for (const p of batch) this.host.exec(p.argv, p.options).then(p.resolve, p.reject);
  }

  private async together(batch: Pending[]): Promise<void> {
    const boundary = `patchlab-batch-${randomBytes(12).toString('hex')}`;
    const script = batchScript(batch, boundary);
    const timeoutsMs = batch.map((p) => p.options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const limitMs = timeoutsMs.reduce((sum, ms) => sum + ms, 0) + BATCH_MARGIN_MS;
    let outcome: ExecResult;
    try {
      outcome = await this.runScript(script, limitMs);
    } catch (error) {
      for (const p of batch) p.reject(error);
      return;
    }
    if (outcome.exitCode === NO_TEMP_DIR || outcome.exitCode === NO_TIMEOUT) return this.alone(batch);
    const results = outcome.timedOut ? [] : parseBatch(outcome.stdout, boundary, timeoutsMs);
    const again: Pending[] = [];
    batch.forEach((p, i) => {
      const result = results[i];
      if (result) p.resolve(result);
      // The host did not answer within the commands' limits added up: each of them would have timed out alone.
      else if (outcome.timedOut) p.resolve({ exitCode: 124, stdout: '', stderr: '', durationMs: outcome.durationMs, timedOut: true });
      else again.push(p);
    });
    this.alone(again);
  }
}

function scriptable({ argv, options }: { argv: readonly string[]; options: ExecOptions }): boolean {
  try {
    remoteCommand(argv, options);
    return true;
  } catch {
    return false;
  }
}

/**
 * The shell script of a batch. Every word reaches it single-quoted (remoteCommand), so nothing a
 * goss file holds is parsed by this shell; the boundary is random, so no command's output can
 * end its section early. Output: for each command, stdout, stderr and "EXIT START END" (the
 * host's /proc/uptime before and after), each followed by a line holding the boundary. Pure.
 */
export function batchScript(commands: readonly { argv: readonly string[]; options: ExecOptions }[], boundary: string): string {
  const lines = [
    `d=$(mktemp -d) || exit ${NO_TEMP_DIR}`,
    `trap 'rm -rf "$d"' EXIT`,
    `command -v timeout >/dev/null || exit ${NO_TIMEOUT}`,
    `printf '\\n%s\\n' '${boundary}' >"$d/b"`,
    // $$ is this shell, or the kept shell this script runs in: a process check leaves out the shells from it down to itself.
    `${PROBE_SHELL_VARIABLE}=$$; export ${PROBE_SHELL_VARIABLE}`,
  ];
  const files: string[] = [];
  commands.forEach(({ argv, options }, i) => {
    const seconds = (options.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000;
    const line = remoteCommand(argv, options, seconds);
    lines.push(`{ read s _ </proc/uptime; (${line}) >"$d/${i}o" 2>"$d/${i}e" </dev/null; c=$?; read e _ </proc/uptime; echo "$c $s $e" >"$d/${i}x"; }`);
    files.push(`"$d/${i}o" "$d/b" "$d/${i}e" "$d/b" "$d/${i}x" "$d/b"`);
  });
  lines.push(`cat ${files.join(' ')}`);
  return lines.join('\n');
}

/**
 * Each command's result from a batch's output, in order (one limit per command); undefined where its section is missing
 * or incomplete (output cut short). A command killed by its timeout (124, or 137 after
 * --kill-after) that ran its whole limit is timedOut, as DockerHost.exec says it. Pure.
 */
export function parseBatch(stdout: string, boundary: string, timeoutsMs: readonly number[]): (ExecResult | undefined)[] {
  const parts = stdout.split(`\n${boundary}\n`);
  return timeoutsMs.map((limitMs, i) => {
    const [out, err, exit] = [parts[3 * i], parts[3 * i + 1], parts[3 * i + 2]];
    // The exit section is complete only if the next boundary followed it.
    if (out === undefined || err === undefined || exit === undefined || parts.length < 3 * i + 4) return undefined;
    const match = /^(\d+) (\d+(?:\.\d+)?) (\d+(?:\.\d+)?)\n$/.exec(exit);
    if (!match) return undefined;
    const exitCode = Number(match[1]);
    const durationMs = Math.round((Number(match[3]) - Number(match[2])) * 1000);
    const timedOut = (exitCode === 124 || exitCode === 137) && durationMs >= limitMs - 50;
    return { exitCode, stdout: out, stderr: err, durationMs, timedOut };
  });
}
