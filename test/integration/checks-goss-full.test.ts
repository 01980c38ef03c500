import Docker from 'dockerode';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGossFile, parseGoss } from '../../lab/checks/goss-load.ts';
import { batchedExecs } from '../../lab/checks/exec-batch.ts';
import { runGossChecks } from '../../lab/checks/goss-run.ts';
import type { CheckResult, CheckStatus, CheckTarget } from '../../lab/checks/types.ts';
import { DockerHostProvider } from '../../lab/hosts/docker-provider.ts';
import { mustExec, type Host } from '../../lab/hosts/host.ts';
import { startService } from '../../lab/hosts/services.ts';
import { resolveImage } from '../../lab/images/build.ts';
import { ShellSession } from '../../rollout/fleets/containers/shell-session.ts';
import { startDnsServer } from '../fixtures/checks/dns-server.ts';

/*
 * A goss file as a team writes it (all sixteen resource types of goss's manual, advanced
 * matchers, an include), loaded and run unchanged on real twins of the built `web` image.
 */

const runId = `test-checks-goss-full-${process.pid}`;
const fixture = join(import.meta.dirname, '..', 'fixtures', 'project', 'checks', 'full.goss.yaml');

/** The status each check must give on a healthy `web` host; the fixture's comments say why for the others. */
const EXPECTED: Record<string, CheckStatus> = {
  'package:nginx-light': 'pass',
  'package:apache2': 'pass',
  'package:nginx-full': 'fail',
  'service:nginx': 'pass',
  'service:nginx:enabled': 'skip',
  'service:nginx:runlevels': 'skip',
  'process:nginx': 'pass',
  'process:apache2': 'pass',
  'port:tcp:80': 'pass',
  'port:tcp6:80': 'pass',
  'port:udp:53': 'pass',
  'http:http://localhost/healthz': 'pass',
  'http:intranet page': 'pass',
  'http:http://localhost/missing': 'fail',
  'command:nginx -t': 'pass',
  'command:nginx version': 'pass',
  'command:report as JSON': 'pass',
  'file:/etc/nginx/sites-available/default': 'pass',
  'file:site enabled': 'pass',
  'file:/tmp': 'pass',
  'file:/etc/shadow': 'pass',
  'file:/etc/nginx/nginx.conf': 'fail',
  'file:/etc/no-such-file': 'pass',
  'kernel-param:kernel.ostype': 'pass',
  'kernel-param:kernel.pid_max': 'pass',
  'kernel-param:vm.compact_memory': 'skip',
  'mount:/': 'pass',
  'mount:/proc': 'pass',
  'mount:/mnt/nothing-mounted-here': 'pass',
  'interface:eth0': 'pass',
  'interface:lo': 'pass',
  'addr:tcp://127.0.0.1:80': 'pass',
  'addr:nothing listens here': 'pass',
  'addr:tcp://intranet.invalid:443': 'fail',
  'dns:localhost': 'pass',
  'dns:intranet.invalid': 'fail',
  'dns:MX:example.org': 'fail',
  'matching:instance count': 'pass',
  'matching:groups': 'pass',
  'matching:versions': 'pass',
  'matching:shape': 'pass',
  'matching:failure count': 'fail',
  'user:www-data': 'pass',
  'user:root': 'pass',
  'user:nosuchuser': 'pass',
  'group:www-data': 'pass',
  'group:shadow': 'pass',
};

const byId = (results: CheckResult[]) => Object.fromEntries(results.map((r) => [r.id, r]));

describe('a goss file with goss\'s whole vocabulary, on real web hosts', () => {
  const hosts: Host[] = [];
  let twins: CheckTarget[] = [];

  beforeAll(async () => {
    const image = await resolveImage('web');
    const provider = new DockerHostProvider();
    const started = await Promise.allSettled(['baseline', 'patched'].map((role) => provider.start({ image: image.tag, runId, role })));
    for (const s of started) if (s.status === 'fulfilled') hosts.push(s.value);
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    twins = hosts.map((host, i) => ({ host, label: i === 0 ? 'baseline' : 'patched' }));
    for (const host of hosts) expect((await startService(host, image.definition)).ok).toBe(true);
  });
  afterAll(async () => {
    await Promise.all(hosts.map((host) => host.stop()));
  });

  it('gives every check the status it should, the same on both twins', async () => {
    const spec = loadGossFile(fixture);
    const [baseline, patched] = await Promise.all(twins.map((twin) => runGossChecks(spec, twin)));
    const statuses = (results: CheckResult[]) => Object.fromEntries(results.map((r) => [r.id, r.status]));
    const explained = (results: CheckResult[]) => results.map((r) => `${r.id} ${r.status}: ${r.message}`).join('\n');
    expect(statuses(baseline as CheckResult[]), explained(baseline as CheckResult[])).toEqual(EXPECTED);
    expect(statuses(patched as CheckResult[])).toEqual(statuses(baseline as CheckResult[]));
  });

  it('says why each deliberate failure fails and why each skip is skipped', async () => {
    const results = byId(await runGossChecks(loadGossFile(fixture), twins[0] as CheckTarget));
    expect(results['package:nginx-full']?.message).toBe('installed: expected true, got false');
    expect(results['http:http://localhost/missing']?.message).toBe('status: expected 200, got 404');
    expect(results['file:/etc/nginx/nginx.conf']?.message).toMatch(/^md5: expected "0{32}", got "[0-9a-f]{32}"$/);
    expect(results['addr:tcp://intranet.invalid:443']?.message).toMatch(/^reachable: expected true, got false \(.+\)$/);
    expect(results['dns:intranet.invalid']?.message).toMatch(/^resolvable: expected true, got false \(.+\)$/);
    expect(results['dns:MX:example.org']?.message).toMatch(/^resolvable: expected true, got false \(.*127\.0\.0\.1:5399.*\)$/);
    expect(results['matching:failure count']?.message).toBe('matches: expected 0, got 3');
    expect(results['service:nginx:enabled']?.message).toMatch(/^enabled: not observable in a container/);
    expect(results['kernel-param:vm.compact_memory']?.message).toMatch(/^value: vm\.compact_memory cannot be read on this host \(.*Permission denied\); a write-only parameter/);
  });

  it('judges the same when each step\'s probes run together, in one exec or in a shell kept open (as a rollout\'s fleet checks)', async () => {
    const spec = loadGossFile(fixture);
    const twin = twins[0] as CheckTarget;
    const shell = new ShellSession(new Docker(), twin.host.id);
    try {
      const judged = (results: CheckResult[]) => results.map((r) => `${r.id} ${r.status}: ${r.message}`);
      const alone = judged(await runGossChecks(spec, twin));
      expect(judged(await runGossChecks(spec, { ...twin, host: batchedExecs(twin.host) }))).toEqual(alone);
      expect(judged(await runGossChecks(spec, { ...twin, host: batchedExecs(twin.host, (script, timeoutMs) => shell.run(script, timeoutMs)) }))).toEqual(alone);
    } finally {
      shell.close();
    }
  });

  it('asks a DNS server from inside the host, as goss does: the test\'s own server, at the host\'s gateway', async () => {
    const dns = await startDnsServer({ 'intranet.example': { MX: [[10, 'mx.intranet.example']], A: ['192.0.2.7'] } }, '0.0.0.0');
    try {
      const twin = twins[0] as CheckTarget;
      const gateway = (await mustExec(twin.host, ['ip', 'route', 'show', 'default'])).stdout.split(' ')[2];
      const goss = [
        'dns:',
        '  MX:intranet.example:',
        `    {resolvable: true, server: "${gateway}:${dns.port}", addrs: ["10 mx.intranet.example."], timeout: 2000}`,
        '  intranet.example:',
        `    {resolvable: true, server: "${gateway}:${dns.port}", addrs: {consist-of: [192.0.2.7]}, timeout: 2000}`,
      ].join('\n');
      const results = await runGossChecks(parseGoss(goss, 'dns.goss.yaml'), twin);
      expect(results.map((r) => [r.id, r.status, r.message])).toEqual([
        ['dns:MX:intranet.example', 'pass', ''],
        ['dns:intranet.example', 'pass', ''],
      ]);
      expect(dns.queries).toEqual(expect.arrayContaining(['MX:intranet.example', 'A:intranet.example', 'AAAA:intranet.example']));
    } finally {
      await dns.close();
    }
  });
});
