import { loadavg } from 'node:os';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { batchedExecs } from '../../lab/checks/exec-batch.ts';
import type { CheckResult } from '../../lab/checks/types.ts';
import type { Host } from '../../lab/hosts/host.ts';
import { SshHost } from '../../lab/hosts/ssh/ssh-host.ts';
import { serverCheckSuite } from '../../rollout/fleets/ssh/server-checks.ts';
import type { CheckSuite } from '../../lab/run/lab-sets.ts';
import { counted } from '../fixtures/checks/counted-host.ts';
import { startWebServers, WEB_GOSS } from '../fixtures/server-fleet.ts';
import type { StandIns } from '../fixtures/ssh-servers.ts';
import { containerCpuMs, sumCpuMs } from './cpu-time.ts';
import { median } from './median.ts';

/*
 * What one check round of the SSH fleet costs, two ways: one ssh exec per probe (the baseline,
 * as rounds ran before) and the probes of each step of a server's checks as one ssh exec
 * (batchedExecs, as ServerFleet.check runs them now). The servers are `web-server` stand-ins
 * (sshd and nginx in containers), reached over ssh with one master connection each, as the
 * fleet does. Rounds of the two kinds take turns, so both see the same load. CPU: the servers'
 * cgroups (sshd's session, sudo where it is used, the shell and the probes) and this process
 * with the ssh clients it has reaped.
 */

const SERVERS = Number(process.env.ROUND_SERVERS ?? 4);
const ROUNDS = Number(process.env.ROUNDS ?? 8);
const runId = `bench-ssh-rounds-${process.pid}`;

interface Round {
  execs: number;
  wallMs: number;
  serversMs: number;
  labMs: number;
}
type Kind = 'per-probe' | 'batched';
const KINDS: Kind[] = ['per-probe', 'batched'];
const rounds: Record<Kind, Round[]> = { 'per-probe': [], batched: [] };
let standIns: StandIns;
const links: ReturnType<typeof counted>[] = [];
let checks: CheckSuite;

async function round(kind: Kind): Promise<void> {
  const ids = standIns.servers.map((s) => s.docker.id);
  const servers = () => ids.reduce((sum, id) => sum + (containerCpuMs(id) ?? Number.NaN), 0);
  for (const link of links) link.reset();
  const before = { servers: servers(), lab: sumCpuMs([process.pid]), at: performance.now() };
  const results = await Promise.all(links.map((link, i) => checks.run({ host: kind === 'batched' ? batchedExecs(link.host) : link.host, label: `srv${i}` })));
  rounds[kind].push({
    execs: links.reduce((sum, link) => sum + link.execs(), 0),
    wallMs: performance.now() - before.at,
    serversMs: servers() - before.servers,
    labMs: sumCpuMs([process.pid]) - before.lab,
  });
  const failed = results.flat().filter((r: CheckResult) => r.status !== 'pass');
  if (failed.length > 0) throw new Error(`${kind} round: ${failed.map((r) => `${r.id} ${r.status}: ${r.message}`).join('; ')}`);
}

function report(): void {
  const ms = (x: number) => `${Math.round(x)} ms`;
  const of = (kind: Kind, f: (r: Round) => number) => median(rounds[kind].map(f));
  const row = (label: string, f: (r: Round) => number, unit = ms) => {
    const [base, batched] = KINDS.map((k) => of(k, f)) as [number, number];
    return `  ${label.padEnd(34)}${unit(base).padStart(11)}${unit(batched).padStart(11)}   ${(batched / base).toFixed(2)}x`;
  };
  console.log(
    [
      `\none check round of ${SERVERS} servers over ssh (the web goss file), medians of ${rounds.batched.length} rounds each, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}:`,
      `  ${''.padEnd(34)}${KINDS.map((k) => k.padStart(11)).join('')}   batched / per-probe`,
      row('ssh execs', (r) => r.execs, String),
      row('CPU on the servers (cgroups)', (r) => r.serversMs),
      row('CPU here (with its ssh clients)', (r) => r.labMs),
      row('CPU of both', (r) => r.serversMs + r.labMs),
      row('wall time of the round', (r) => r.wallMs),
    ].join('\n'),
  );
}

beforeAll(async () => {
  standIns = await startWebServers(Array.from({ length: SERVERS }, (_, i) => `srv${i}`), runId);
  checks = await serverCheckSuite([WEB_GOSS], 80, standIns.dir);
  const client = { configFile: standIns.sshConfig, hostKeys: 'strict' as const };
  for (const s of standIns.servers) links.push(counted(await SshHost.connect({ name: s.name, address: s.address }, client)));
  // The master connections are open; a first round of each warms what a round always finds warm.
  for (const kind of KINDS) await round(kind);
  for (const kind of KINDS) rounds[kind] = [];
}, 300_000);

afterAll(async () => {
  await Promise.all(links.map((link) => link.host.stop()));
  await checks?.close();
  await standIns?.stop();
});

describe(`one check round of ${SERVERS} servers over ssh: its CPU, one exec per probe against one per step`, () => {
  bench(
    'one round of each: per probe (baseline), batched',
    async () => {
      for (const kind of KINDS) await round(kind);
      if (rounds.batched.length === ROUNDS) report();
    },
    { iterations: ROUNDS, warmupIterations: 0, time: 0, warmupTime: 0 },
  );
});
