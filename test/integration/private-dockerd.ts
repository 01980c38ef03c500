import Docker from 'dockerode';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

/*
 * A Docker engine of a test's own, beside the machine's: other people's tests run on the main
 * engine all the time, so a fault test may stop and start only this one. Everything it needs is
 * its own: data and exec roots, pid file, socket, a bridge on a free 10.123.N.0/24. It manages no
 * iptables (the main engine owns those chains); the few rules that let its containers reach the
 * package mirror name its bridge only, and go with it.
 */

const run = promisify(execFile);

export interface PrivateDockerd {
  /** For DOCKER_HOST. */
  readonly host: string;
  readonly docker: Docker;
  readonly log: string;
  /** Kills the engine as a crash would (SIGKILL) and waits until it is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same data, as systemd restarts a crashed dockerd. */
  start(): Promise<void>;
  /** Removes every container, stops the engine and undoes the bridge, the rules and the files. */
  destroy(): Promise<void>;
}

let engineCount = 0;

export async function startPrivateDockerd(images: readonly string[], main = new Docker()): Promise<PrivateDockerd> {
  await sweepDeadEngines();
  // Short: containerd's socket lives under the exec root, and a unix socket path has 108 bytes at most.
  // The pid says whose it is, for the sweep of a test that was killed before its afterAll.
  const dir = mkdtempSync(`/tmp/plf-${process.pid}-`);
  // A test may run several engines (two lab machines): each its own bridge, numbered after the pid.
  const bridge = `plf${process.pid}n${engineCount++}`.slice(0, 15);
  const subnet = await freeSubnet();
  const socket = join(dir, 'docker.sock');
  const log = join(dir, 'dockerd.log');
  const pidfile = join(dir, 'dockerd.pid');
  const undo: string[][] = [];
  let daemon: ChildProcess | undefined;
  const docker = new Docker({ socketPath: socket });

  const iptables = async (...rule: string[]) => {
    await run('iptables', ['-w', ...rule]);
    undo.unshift(['iptables', '-w', ...rule.map((w) => (w === '-I' || w === '-A' ? '-D' : w))]);
  };

  const start = async () => {
    // After a crash the pid file stays, and dockerd refuses to start beside it.
    rmSync(pidfile, { force: true });
    const out = openSync(log, 'a');
    daemon = spawn(
      'dockerd',
      ['--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'), '--pidfile', pidfile, '-H', `unix://${socket}`, '--bridge', bridge, '--iptables=false', '--ip-masq=false'],
      { detached: true, stdio: ['ignore', out, out] },
    );
    closeSync(out);
    const deadline = Date.now() + 60_000;
    while (!(await docker.ping().then(() => true, () => false))) {
      if (daemon.exitCode !== null) throw new Error(`the private dockerd exited ${daemon.exitCode}: ${tail(log)}`);
      if (Date.now() > deadline) throw new Error(`the private dockerd does not answer after 60 s: ${tail(log)}`);
      await sleep(200);
    }
  };

  const kill = async () => {
    const child = daemon;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
    await stopLeftovers(dir, 'SIGKILL', /containerd --config/);
  };

  const destroy = async () => {
    if (daemon && daemon.exitCode === null && daemon.signalCode === null) {
      const left = await docker.listContainers({ all: true }).catch(() => []);
      await Promise.all(left.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined)));
      const child = daemon;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(20_000).then(() => child.kill('SIGKILL'))]);
    }
    // containerd and its shims, which outlive a killed dockerd.
    await stopLeftovers(dir, 'SIGKILL');
    for (const mount of mountsUnder(dir)) await run('umount', ['-l', mount]).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    for (const command of undo) await run(command[0]!, command.slice(1)).catch(() => undefined);
  };

  try {
    await run('ip', ['link', 'add', 'name', bridge, 'type', 'bridge']);
    undo.unshift(['ip', 'link', 'del', bridge]);
    await run('ip', ['addr', 'add', `${subnet}.1/24`, 'dev', bridge]);
    await run('ip', ['link', 'set', bridge, 'up']);
    // The fetcher host reaches the mirror through the lab machine, as on the main engine's bridge.
    await iptables('-t', 'nat', '-A', 'POSTROUTING', '-s', `${subnet}.0/24`, '!', '-o', bridge, '-j', 'MASQUERADE');
    await iptables('-I', 'FORWARD', '-i', bridge, '-j', 'ACCEPT');
    await iptables('-I', 'FORWARD', '-o', bridge, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT');
    mkdirSync(join(dir, 'data'));
    await start();
    for (const image of images) {
      const stream = await main.getImage(image).get();
      await docker.loadImage(stream);
    }
    return { host: `unix://${socket}`, docker, log, kill, start, destroy };
  } catch (error) {
    await destroy();
    throw error;
  }
}

/**
 * What a test process killed before its afterAll left behind (a CI run stopped by its time
 * limit): the bridge, its rules and the engine's files, found by the dead pid in their names.
 */
async function sweepDeadEngines(): Promise<void> {
  const dead = (pid: string) => !existsSync(`/proc/${pid}`);
  const links = (await run('ip', ['-o', 'link', 'show', 'type', 'bridge'])).stdout;
  for (const [, bridge, pid] of links.matchAll(/^\d+: (plf(\d+)(?:n\d+)?)[:@]/gm)) {
    if (!bridge || !pid || !dead(pid)) continue;
    for (const table of ['filter', 'nat']) {
      const rules = (await run('iptables', ['-w', '-t', table, '-S'])).stdout.split('\n');
      for (const rule of rules.filter((r) => r.startsWith('-A ') && r.split(' ').includes(bridge))) {
        await run('iptables', ['-w', '-t', table, '-D', ...rule.split(' ').slice(1)]).catch(() => undefined);
      }
    }
    await run('ip', ['link', 'del', bridge]).catch(() => undefined);
  }
  for (const name of readdirSync('/tmp')) {
    const pid = /^plf-(\d+)-\w{6}$/.exec(name)?.[1];
    if (!pid || !dead(pid)) continue;
    const dir = join('/tmp', name);
    await stopLeftovers(dir, 'SIGKILL');
    for (const mount of mountsUnder(dir)) await run('umount', ['-l', mount]).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A /24 in 10.123.0.0/16 that no route of this machine uses yet. */
async function freeSubnet(): Promise<string> {
  const routes = (await run('ip', ['-4', 'route'])).stdout;
  for (let n = (process.pid % 200) + 1; n < 255; n++) {
    const subnet = `10.123.${n}`;
    if (!routes.includes(`${subnet}.`)) return subnet;
  }
  throw new Error('no free 10.123.N.0/24 for the private dockerd');
}

/** Processes started for this engine (their command line names its directory); the test started them. */
async function stopLeftovers(dir: string, signal: NodeJS.Signals, only?: RegExp): Promise<void> {
  const pids = readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        const cmdline = readFileSync(`/proc/${p}/cmdline`, 'utf8').replaceAll('\0', ' ');
        return cmdline.includes(`${dir}/`) && (!only || only.test(cmdline));
      } catch {
        return false;
      }
    })
    .map(Number);
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + 10_000;
  while (pids.some((pid) => existsSync(`/proc/${pid}`)) && Date.now() < deadline) await sleep(100);
}

function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[1] ?? '')
    .filter((mount) => mount === dir || mount.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-5).join('\n');
  } catch {
    return '';
  }
}
