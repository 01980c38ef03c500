import type { ExecOptions, ExecResult } from '../hosts/host.ts';
import { IDLE_COMMAND } from '../hosts/idle-command.ts';
import type { FileType } from './goss-schema.ts';
import { boundPorts, type Protocol } from './proc-net.ts';
import type { CheckTarget } from './types.ts';

/**
 * What a check asks a host, through host.exec with argv arrays only. Images are minbase Debian:
 * no ps, pgrep, ss or curl, so everything is read from /proc, dpkg-query and coreutils.
 */

/** The check could not judge the host: it hung, or the host would not run the probe. */
export class ProbeError extends Error {
  constructor(
    message: string,
    readonly timedOut: boolean,
  ) {
    super(message);
    this.name = 'ProbeError';
  }
}

export interface ProbeContext {
  target: CheckTarget;
  /** The check's limit, for each probe it makes. */
  timeoutMs: number;
}

export function onHost(target: CheckTarget): string {
  return `on host ${target.label} (${target.host.name})`;
}

/** Probes read tool messages ("No such file or directory"), so they must not be translated. */
const UNTRANSLATED: ExecOptions['env'] = { LC_ALL: 'C' };

/** Runs argv on the host; a hang or a failure to run at all becomes a ProbeError naming host and command. */
export async function probe(
  ctx: ProbeContext,
  argv: readonly string[],
  options: { what?: string; timeoutMs?: number; env?: ExecOptions['env'] } = {},
): Promise<ExecResult> {
  const what = options.what ?? JSON.stringify(argv);
  const timeoutMs = options.timeoutMs ?? ctx.timeoutMs;
  let result: ExecResult;
  try {
    result = await ctx.target.host.exec(argv, { timeoutMs, env: options.env ?? UNTRANSLATED });
  } catch (error) {
    throw new ProbeError(`${onHost(ctx.target)}: ${what} could not run: ${(error as Error).message}`, false);
  }
  if (result.timedOut) throw new ProbeError(`${onHost(ctx.target)}: ${what} timed out after ${timeoutMs} ms`, true);
  return result;
}

/** Versions dpkg has installed under this name (several with multiarch); empty when none is. */
export async function installedVersions(ctx: ProbeContext, name: string): Promise<string[]> {
  const result = await probe(ctx, ['dpkg-query', '-W', '-f=${db:Status-Status}\t${Version}\n', name]);
  // 1 means "no package matches": a valid answer. Anything else is dpkg itself failing.
  if (result.exitCode > 1) throw new ProbeError(`${onHost(ctx.target)}: dpkg-query failed: ${result.stderr.trim()}`, false);
  return result.stdout
    .split('\n')
    .map((line) => line.split('\t'))
    .filter(([status]) => status === 'installed')
    .map(([, version]) => version ?? '');
}

/**
 * The name under which a batch's shell (exec-batch.ts) tells its commands its pid: the shells
 * between it and a process probe are patchlab's own, not the host's.
 */
export const PROBE_SHELL_VARIABLE = 'PATCHLAB_PROBE_SHELL';

/**
 * The argument a kept check shell (rollout/fleets/containers/shell-session.ts) is started with,
 * so that a process check on the host knows it, and what it runs, for patchlab's: another
 * fleet's (a driver taken over, a worker's) as well as its own.
 */
export const KEPT_SHELL_ARGUMENT = 'patchlab-check-shell';

/*
 * A fixed script, nothing interpolated: the glob needs a shell. Before the process table it
 * prints what of it is patchlab's: the pids of the processes that run it, from itself up to the
 * batch's shell when it runs in one, then up through the GNU timeout an exec wraps it in; the
 * kept check shells; and the command line of PID 1 (a lab container's idle loop). A user's
 * `process: sh: running: false` must pass on a host patchlab checks through a shell. It then
 * becomes cat, so it hides under its own pid. Processes that exit between the glob and the
 * read make cat complain; what it did read is still the answer.
 */
export const PROCESS_LISTING = `p=$$ own=$$ top=\${${PROBE_SHELL_VARIABLE}:-} reached=
[ -n "$top" ] || reached=1
while read -r st </proc/$p/stat; do
  st=\${st##*) }; set -- $st; p=$2
  [ "$p" -gt 1 ] || break
  if [ -z "$reached" ]; then own="$own $p"; [ "$p" = "$top" ] && reached=1
  else read -r comm </proc/$p/comm && [ "$comm" = timeout ] || break; own="$own $p"; fi
done
[ -n "$reached" ] || own=$$
echo "own: $own"
echo kept: $(grep -lxzF ${KEPT_SHELL_ARGUMENT} /proc/[0-9]*/cmdline 2>/dev/null)
printf 'init: '; tr '\\0' ' ' </proc/1/cmdline; echo
exec cat /proc/[0-9]*/stat 2>/dev/null`;

export async function runningProcesses(ctx: ProbeContext): Promise<Set<string>> {
  const result = await probe(ctx, ['sh', '-c', PROCESS_LISTING]);
  return runningProcessNames(result.stdout);
}

const IDLE_INIT = `init: ${IDLE_COMMAND.join(' ')} `;

/**
 * Command names (the kernel's comm, as goss uses) of live processes, from /proc/PID/stat lines:
 * "PID (comm) STATE PPID ...". Zombies are left out: a stopped daemon nobody reaped is not
 * running. So is patchlab's own part of the table, from the header runningProcesses prints: the
 * probe's shells ("own: PID..."), kept check shells and what runs under them ("kept:
 * /proc/PID/cmdline..."), and a lab container's idle PID 1 with its sleep ("init: ..."). Pure.
 */
export function runningProcessNames(listing: string): Set<string> {
  const lines = listing.split('\n');
  const header = (name: string) => lines.find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2).trim().split(/\s+/) ?? [];
  const own = new Set(header('own'));
  const kept = new Set(header('kept').map((path) => path.split('/')[2]));
  const idle = lines.includes(IDLE_INIT);
  const table = new Map<string, { comm: string; state: string; ppid: string }>();
  for (const line of lines) {
    const open = line.indexOf('(');
    const close = line.lastIndexOf(')');
    if (open < 0 || close < open) continue;
    const [state = '', ppid = ''] = line.slice(close + 2).split(' ');
    table.set(line.slice(0, open).trim(), { comm: line.slice(open + 1, close), state, ppid });
  }
  const underKept = (pid: string): boolean => {
    // Each step goes to a parent, so a table of n processes is walked in at most n steps (a pid reused mid-read cannot loop).
    for (let at: string | undefined = pid, steps = 0; at !== undefined && steps <= table.size; at = table.get(at)?.ppid, steps++) if (kept.has(at)) return true;
    return false;
  };
  const names = new Set<string>();
  for (const [pid, { comm, state, ppid }] of table) {
    if (own.has(pid) || underKept(pid) || (idle && (pid === '1' || (ppid === '1' && comm === 'sleep')))) continue;
    if (state !== 'Z' && state !== 'X') names.add(comm);
  }
  return names;
}

/** The kernel keeps 15 characters of a command name; goss compares against what it keeps. */
export function commName(name: string): string {
  return name.slice(0, 15);
}

/** Listening ports and the local addresses they are bound to. */
export async function listeningOn(ctx: ProbeContext, protocol: Protocol): Promise<Map<number, string[]>> {
  // A kernel without IPv6 has no /proc/net/tcp6: nothing listens there, which is an answer.
  const result = await probe(ctx, ['cat', `/proc/net/${protocol}`]);
  return boundPorts(result.stdout, protocol);
}

export interface FileStat {
  filetype: FileType;
  mode: number;
  owner: string;
  group: string;
  size: number;
  uid: number;
  gid: number;
}

/** stat without -L, as goss uses lstat: a symlink is described, not followed. undefined when absent. */
export async function statFile(ctx: ProbeContext, path: string): Promise<FileStat | undefined> {
  const result = await probe(ctx, ['stat', '-c', STAT_FORMAT, '--', path]);
  if (result.exitCode !== 0) {
    if (/No such file or directory|Not a directory/.test(result.stderr)) return undefined;
    throw new ProbeError(`${onHost(ctx.target)}: stat ${path} failed: ${result.stderr.trim()}`, false);
  }
  return parseStat(result.stdout);
}

const STAT_FORMAT = '%F\t%a\t%U\t%G\t%s\t%u\t%g';

const STAT_FILE_TYPES: Record<string, FileType> = {
  'regular file': 'file',
  'regular empty file': 'file',
  directory: 'directory',
  'symbolic link': 'symlink',
  fifo: 'pipe',
  socket: 'socket',
  'character special file': 'character-device',
  'block special file': 'block-device',
};

/** One line of `stat -c STAT_FORMAT`. Pure. */
export function parseStat(line: string): FileStat {
  const [type = '', mode = '', owner = '', group = '', size = '', uid = '', gid = ''] = line.trim().split('\t');
  return {
    filetype: STAT_FILE_TYPES[type] ?? 'file',
    mode: Number.parseInt(mode, 8),
    owner,
    group,
    size: Number(size),
    uid: Number(uid),
    gid: Number(gid),
  };
}

/** The file's text, or why it could not be read (a directory, no permission). */
export async function readText(ctx: ProbeContext, path: string): Promise<{ text: string } | { unreadable: string }> {
  const result = await probe(ctx, ['cat', '--', path]);
  return result.exitCode === 0 ? { text: result.stdout } : { unreadable: result.stderr.trim() };
}
