import Docker from 'dockerode';
import { loadavg } from 'node:os';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { batchedExecs } from '../../lab/checks/exec-batch.ts';
import type { CheckResult } from '../../lab/checks/types.ts';
import { DockerHostProvider } from '../../lab/hosts/docker-provider.ts';
import type { Host } from '../../lab/hosts/host.ts';
import { RUN_LABEL } from '../../lab/hosts/labels.ts';
import { startService } from '../../lab/hosts/services.ts';
import { resolveImage } from '../../lab/images/build.ts';
import { checkFilesFor, loadCheckSuite } from '../../lab/run/check-suite.ts';
import type { CheckSuite } from '../../lab/run/lab-sets.ts';
import { containerCpuMs, enginePids, ownCpuMs, shimPids, sumCpuMs } from './cpu-time.ts';
import { median } from './median.ts';
import { ShellSession } from '../../rollout/fleets/containers/shell-session.ts';

/*
 * What one check round of the demo's fleet (16 `web` hosts, the image's goss file, as a rollout
 * checks them every 2 s) costs the machine in CPU, three ways: one exec per probe (the baseline,
 * as rounds ran before), the probes of each step of a host's checks together in one exec
 * (batchedExecs), and those batches written to a shell kept open in each host (ShellSession, as
 * the container fleet runs them now). Rounds of the three kinds take turns, so all see the same
 * load. CPU is read from the containers' cgroups, their shims (runc's work), this process, and
 * the Docker engine's daemons (which also serve everyone else's containers on a shared machine).
 */

const HOSTS = Number(process.env.ROUND_HOSTS ?? 16);
const ROUNDS = Number(process.env.ROUNDS ?? 8);
const runId = `bench-check-rounds-${process.pid}`;
const docker = new Docker();

interface Round {
  execs: number;
  wallMs: number;
  containersMs: number;
  shimsMs: number;
  labMs: number;
  engineMs: number;
}
type Kind = 'per-probe' | 'batched' | 'kept shell';
const KINDS: Kind[] = ['per-probe', 'batched', 'kept shell'];
const rounds: Record<Kind, Round[]> = { 'per-probe': [], batched: [], 'kept shell': [] };
const hosts: Host[] = [];
const shells: ShellSession[] = [];
let checks: CheckSuite;
let execs = 0;

/** The host, counting the execs that reach the engine. */
function counted(host: Host): Host {
  return new Proxy(host, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      if (property !== 'exec') return value.bind(target);
      return (...args: unknown[]) => {
        execs += 1;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

function targetHost(kind: Kind, i: number): Host {
  const host = hosts[i] as Host;
  if (kind === 'per-probe') return counted(host);
  if (kind === 'batched') return batchedExecs(counted(host));
  const shell = (shells[i] ??= new ShellSession(docker, host.id));
  // Opening the shell is an exec too; counted once, when a round opens it.
  return batchedExecs(counted(host), (script, timeoutMs) => shell.run(script, timeoutMs));
}

async function round(kind: Kind): Promise<void> {
  const ids = hosts.map((h) => h.id);
  const shims = shimPids(ids);
  if (shims.length !== hosts.length) throw new Error(`found the shims of ${shims.length} of ${hosts.length} hosts`);
  const engine = enginePids();
  const containers = () => ids.reduce((sum, id) => sum + (containerCpuMs(id) ?? Number.NaN), 0);
  const before = { containers: containers(), shims: sumCpuMs(shims), lab: ownCpuMs(), engine: sumCpuMs(engine), execs, at: performance.now() };
  const results = await Promise.all(
    hosts.map((_, i) => checks.run({ host: targetHost(kind, i), label: `host-${i}` })),
  );
  const wallMs = performance.now() - before.at;
  rounds[kind].push({
    execs: execs - before.execs,
    wallMs,
    containersMs: containers() - before.containers,
    shimsMs: sumCpuMs(shims) - before.shims,
    labMs: ownCpuMs() - before.lab,
    engineMs: sumCpuMs(engine) - before.engine,
  });
  // A cheaper round that judged differently would be no gain: every check of a healthy host passes either way.
  const failed = results.flat().filter((r: CheckResult) => r.status !== 'pass');
  if (failed.length > 0) throw new Error(`${kind} round: ${failed.map((r) => `${r.id} ${r.status}: ${r.message}`).join('; ')}`);
}

function report(): void {
  const ms = (x: number) => `${Math.round(x)} ms`;
  const of = (kind: Kind, key: keyof Round) => median(rounds[kind].map((r) => r[key]));
  const total = (kind: Kind) => median(rounds[kind].map((r) => r.containersMs + r.shimsMs + r.labMs));
  const withEngine = (kind: Kind) => median(rounds[kind].map((r) => r.containersMs + r.shimsMs + r.labMs + r.engineMs));
  const row = (label: string, values: number[], unit = ms) =>
    `  ${label.padEnd(40)}${values.map((v) => unit(v).padStart(11)).join('')}   ${values.slice(1).map((v) => `${(v / (values[0] ?? 1)).toFixed(2)}x`).join(' ')}`;
  const each = (f: (kind: Kind) => number) => KINDS.map(f);
  console.log(
    [
      `\none check round of ${HOSTS} web hosts (the image's goss file), medians of ${rounds['kept shell'].length} rounds each, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}:`,
      `  ${''.padEnd(40)}${KINDS.map((k) => k.padStart(11)).join('')}   against per-probe`,
      row('execs', each((k) => of(k, 'execs')), (x) => String(x)),
      row('CPU in the containers (cgroups)', each((k) => of(k, 'containersMs'))),
      row('CPU of their shims and runc', each((k) => of(k, 'shimsMs'))),
      row('CPU of the lab process', each((k) => of(k, 'labMs'))),
      row('CPU of those three', each(total)),
      row('dockerd + containerd (shared machine)', each((k) => of(k, 'engineMs'))),
      row('CPU of all four', each(withEngine)),
      row('wall time of the round', each((k) => of(k, 'wallMs'))),
    ].join('\n'),
  );
}

beforeAll(async () => {
  const image = await resolveImage('web');
  checks = await loadCheckSuite(checkFilesFor(image.definition).filter((f) => /\.ya?ml$/.test(f)), { screenshotDir: '/tmp' });
  const provider = new DockerHostProvider(docker);
  const started = await Promise.allSettled(Array.from({ length: HOSTS }, (_, i) => provider.start({ image: image.tag, runId, role: `fleet-${i}` })));
  for (const s of started) if (s.status === 'fulfilled') hosts.push(s.value);
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
  const services = await Promise.all(hosts.map((host) => startService(host, image.definition)));
  if (services.some((s) => !s.ok)) throw new Error('nginx did not start on every host');
  // Each host's first exec asks whether it has GNU timeout: not part of a round.
  for (const kind of KINDS) await round(kind);
  for (const kind of KINDS) rounds[kind] = [];
}, 300_000);

afterAll(async () => {
  for (const shell of shells) shell.close();
  const left = await docker.listContainers({ all: true, filters: { label: [`${RUN_LABEL}=${runId}`] } });
  await Promise.all(left.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined)));
});

describe(`one check round of ${HOSTS} web hosts: its CPU, one exec per probe against one exec per step, and none`, () => {
  bench(
    'one round of each: per probe (baseline), batched, batched in a kept shell',
    async () => {
      for (const kind of KINDS) await round(kind);
      if (rounds['kept shell'].length === ROUNDS) report();
    },
    { iterations: ROUNDS, warmupIterations: 0, time: 0, warmupTime: 0 },
  );
});
