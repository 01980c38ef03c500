import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGossFile, parseGoss } from '../../lab/checks/goss-load.ts';
import { runGossChecks } from '../../lab/checks/goss-run.ts';
import type { CheckResult, CheckTarget } from '../../lab/checks/types.ts';
import { DockerHostProvider } from '../../lab/hosts/docker-provider.ts';
import { mustExec, type Host } from '../../lab/hosts/host.ts';
import { startService, stopService } from '../../lab/hosts/services.ts';
import { resolveImage, type ResolvedImage } from '../../lab/images/build.ts';

const runId = `test-checks-goss-web-${process.pid}`;
const example = loadGossFile(join(import.meta.dirname, '..', '..', 'lab', 'images', 'definitions', 'web', 'web.goss.yaml'));

const byId = (results: CheckResult[]) => Object.fromEntries(results.map((r) => [r.id, r]));

describe('goss checks on real web hosts', () => {
  let image: ResolvedImage;
  const hosts: Host[] = [];
  let baseline: CheckTarget;
  let patched: CheckTarget;

  beforeAll(async () => {
    image = await resolveImage('web');
    const provider = new DockerHostProvider();
    const started = await Promise.allSettled(['baseline', 'patched'].map((role) => provider.start({ image: image.tag, runId, role })));
    for (const s of started) if (s.status === 'fulfilled') hosts.push(s.value);
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    [baseline, patched] = hosts.map((host, i) => ({ host, label: i === 0 ? 'baseline' : 'patched' })) as [CheckTarget, CheckTarget];
    for (const host of hosts) expect((await startService(host, image.definition)).ok).toBe(true);
  });
  afterAll(async () => {
    await Promise.all(hosts.map((host) => host.stop()));
  });

  it('passes every check of the shipped example on healthy twins, with the same ids on both', async () => {
    const [onBaseline, onPatched] = await Promise.all([runGossChecks(example, baseline), runGossChecks(example, patched)]);
    for (const result of [...onBaseline, ...onPatched]) expect(result, `${result.id}: ${result.message}`).toMatchObject({ status: 'pass', message: '' });
    expect(onPatched.map((r) => r.id)).toEqual(onBaseline.map((r) => r.id));
    expect(onBaseline.map((r) => r.id)).toContain('http:http://localhost/healthz');
    expect(byId(onBaseline)['http:http://localhost/healthz']?.metrics?.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('judges service running by the process table and skips enabled, which a container cannot show', async () => {
    const results = await runGossChecks(parseGoss('service:\n  nginx: {running: true, enabled: true}\n', 'service.goss.yaml'), baseline);
    expect(results.map((r) => [r.id, r.status])).toEqual([
      ['service:nginx', 'pass'],
      ['service:nginx:enabled', 'skip'],
    ]);
  });

  it('calls a command that hangs past its timeout an error, naming the host and the command', async () => {
    const started = Date.now();
    const [result] = await runGossChecks(parseGoss('command:\n  sleep 60: {exit-status: 0, timeout: 1000}\n', 'hang.goss.yaml'), baseline);
    expect(result).toMatchObject({ status: 'error', timedOut: true });
    expect(result?.message).toBe(`on host baseline (${baseline.host.name}): command "sleep 60" timed out after 1000 ms`);
    expect(Date.now() - started).toBeLessThan(8_000);
  });

  it('fails the process, port, http, command and file checks of a broken host, each saying what it found', async () => {
    await stopService(patched.host, image.definition);
    await mustExec(patched.host, ['sh', '-c', 'printf "server {\\n" > /etc/nginx/sites-available/default']);

    const results = byId(await runGossChecks(example, patched));
    expect(results['package:nginx-light']?.status).toBe('pass');
    expect(results['process:nginx']).toMatchObject({ status: 'fail', message: 'running: expected true, got false' });
    expect(results['port:tcp:80']).toMatchObject({ status: 'fail', message: 'listening: expected true, got false' });
    expect(results['http:http://localhost/healthz']).toMatchObject({
      status: 'fail',
      message: `GET http://localhost/healthz: no answer: connect ECONNREFUSED ${patched.host.address}:80`,
    });
    expect(results['command:nginx -t']?.status).toBe('fail');
    expect(results['command:nginx -t']?.message).toMatch(/^exit-status: expected 0, got 1 \(stderr: "nginx: configuration file .* test failed"\)/);
    expect(results['file:/etc/nginx/sites-available/default']).toMatchObject({
      status: 'fail',
      message: 'contains: expected to contain "healthz", got "server {\\n"',
    });

    // The untouched twin still passes: the failures belong to the broken host alone.
    expect((await runGossChecks(example, baseline)).every((r) => r.status === 'pass')).toBe(true);
  });
});
