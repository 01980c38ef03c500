import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time, in ms, of what a container costs the machine, read where Linux keeps it. A container
 * exec's work is split three ways: the processes inside (the container's cgroup), runc, which the
 * container's shim starts and reaps (so it counts in the shim's children's time), and the Docker
 * engine (dockerd and containerd: shared by every container on the machine, others' included).
 */

/** CPU time the container has used, from its cgroup (v1, as Debian's docker.io sets it up here); undefined elsewhere. */
export function containerCpuMs(containerId: string): number | undefined {
  try {
    return Number(readFileSync(`/sys/fs/cgroup/cpuacct/docker/${containerId}/cpuacct.usage`, 'utf8')) / 1e6;
  } catch {
    return undefined;
  }
}

/** Clock ticks a second in /proc/PID/stat: 100 on every Linux this runs on (getconf CLK_TCK). */
const TICKS_PER_SECOND = 100;

/** utime + stime + cutime + cstime of a process: its own CPU and that of the children it has reaped. */
function processTreeCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i] ?? 0), 0);
    return (ticks * 1000) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

function processes(): { pid: number; args: string[] }[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .flatMap((name) => {
      try {
        return [{ pid: Number(name), args: readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0') }];
      } catch {
        return [];
      }
    });
}

/** The shims (containerd-shim-runc-v2 -id ID) of these containers: one each, alive as long as its container. */
export function shimPids(containerIds: readonly string[]): number[] {
  const ids = new Set(containerIds);
  return processes()
    .filter((p) => /containerd-shim/.test(p.args[0] ?? '') && ids.has(p.args[p.args.indexOf('-id') + 1] ?? ''))
    .map((p) => p.pid);
}

/** The Docker engine's daemons, whose work for every client on the machine counts here. */
export function enginePids(): number[] {
  return processes()
    .filter((p) => /(^|\/)(dockerd|containerd)$/.test(p.args[0] ?? ''))
    .map((p) => p.pid);
}

export function sumCpuMs(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + processTreeCpuMs(pid), 0);
}

/** This process's own CPU: the lab's side of every exec (HTTP to the engine, parsing, judging). */
export function ownCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}
