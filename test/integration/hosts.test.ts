import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerHostProvider } from '../../lab/hosts/docker-provider.ts';
import type { Host } from '../../lab/hosts/host.ts';
import { KEEP_LABEL, OWNER_LABEL, RUN_LABEL } from '../../lab/hosts/labels.ts';
import { reap } from '../../lab/hosts/reaper.ts';
import { resolveImage } from '../../lab/images/build.ts';
import { startService } from '../../lab/hosts/services.ts';

const docker = new Docker();
const runId = `test-hosts-${process.pid}`;

describe('docker host provider', () => {
  let host: Host;
  let image: Awaited<ReturnType<typeof resolveImage>>;

  beforeAll(async () => {
    image = await resolveImage('web');
    host = await new DockerHostProvider().start({ image: image.tag, runId, role: 'probe' });
  });
  afterAll(async () => {
    await host?.stop();
  });

  it('labels its containers with the run, role and owning process', async () => {
    const info = await docker.getContainer(host.id).inspect();
    expect(info.Config.Labels[RUN_LABEL]).toBe(runId);
    expect(info.Config.Labels['patchlab.role']).toBe('probe');
    expect(info.Config.Labels[OWNER_LABEL]).toContain(`:${process.pid}:`);
  });

  it('runs argv without a shell: metacharacters arrive as plain text', async () => {
    const hostile = '$(touch /tmp/pwned); `id` | true && echo nope';
    const result = await host.exec(['printf', '%s', hostile]);
    expect(result.stdout).toBe(hostile);
    const pwned = await host.exec(['test', '-e', '/tmp/pwned']);
    expect(pwned.exitCode).toBe(1);
  });

  it('separates stdout from stderr and reports the exit code', async () => {
    const result = await host.exec(['sh', '-c', 'echo out; echo err >&2; exit 3']);
    expect(result).toMatchObject({ exitCode: 3, stdout: 'out\n', stderr: 'err\n', timedOut: false });
  });

  it('stops waiting for a hung command and says it timed out', async () => {
    const result = await host.exec(['sleep', '30'], { timeoutMs: 1_000 });
    expect(result.timedOut).toBe(true);
    expect(result.durationMs).toBeLessThan(10_000);
    // GNU timeout inside the host really ended it: nothing is left sleeping.
    const procs = await host.exec(['sh', '-c', 'for f in /proc/[0-9]*/cmdline; do tr "\\0" " " < "$f"; echo; done']);
    expect(procs.stdout).not.toContain('sleep 30');
  });

  it('copies files in and out byte for byte', async () => {
    const content = Buffer.from([0, 1, 2, 250, 255, 10, 13]);
    await host.copyIn([{ path: '/opt/probe/data.bin', content, mode: 0o600 }]);
    expect(await host.copyOut('/opt/probe/data.bin')).toEqual(content);
    await expect(host.copyOut('/no/such/file')).rejects.toThrow(/no\/such\/file/);
  });

  it('starts the image service and serves the intranet page', async () => {
    const outcome = await startService(host, image.definition);
    expect(outcome.ok).toBe(true);
    const page = await fetch(`http://${host.address}/`);
    expect(await page.text()).toContain('IT service desk');
    expect(await (await fetch(`http://${host.address}/healthz`)).text()).toBe('ok\n');
  });

  it('snapshots the filesystem as a labelled image', async () => {
    await host.copyIn([{ path: '/etc/snapshot-marker', content: 'here' }]);
    const ref = await host.snapshot(`patchlab/snapshot-test:${process.pid}`);
    const probe = await new DockerHostProvider().start({ image: ref, runId, role: 'from-snapshot' });
    try {
      expect((await probe.exec(['cat', '/etc/snapshot-marker'])).stdout).toBe('here');
    } finally {
      await probe.stop();
      await docker.getImage(ref).remove({ force: true });
    }
  });
});

describe('reaper', () => {
  it('removes containers of a dead owner and keeps those of live ones and kept fleets', async () => {
    const image = await resolveImage('web');
    const make = (owner: string, extra: Record<string, string> = {}) =>
      docker.createContainer({
        Image: image.tag,
        Cmd: ['true'],
        Labels: { [RUN_LABEL]: `${runId}-reap`, [OWNER_LABEL]: owner, ...extra },
      });
    const dead = await make(`${(await import('node:os')).hostname()}:999999999:1`);
    const live = await new DockerHostProvider().start({ image: image.tag, runId: `${runId}-reap`, role: 'live' });
    const kept = await make('nobody:1:1', { [KEEP_LABEL]: 'rollout-x' });
    try {
      const deadName = (await dead.inspect()).Name.replace(/^\//, '');
      const result = await reap();
      expect(result.containers).toContain(deadName);
      await expect(dead.inspect()).rejects.toMatchObject({ statusCode: 404 });
      await expect(docker.getContainer(live.id).inspect()).resolves.toBeTruthy();
      await expect(kept.inspect()).resolves.toBeTruthy();
    } finally {
      await reap({ runId: `${runId}-reap` });
    }
    await expect(docker.getContainer(live.id).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });
});
