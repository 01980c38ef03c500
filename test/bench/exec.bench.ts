import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { DockerHostProvider } from '../../lab/hosts/docker-provider.ts';
import type { Host } from '../../lab/hosts/host.ts';
import { resolveImage } from '../../lab/images/build.ts';

/*
 * The lab runs every probe, install and check through Host.exec. Baseline, in the same run:
 * the docker CLI doing the same exec, which is what a shell script would do.
 */
let host: Host;

beforeAll(async () => {
  const image = await resolveImage('web');
  host = await new DockerHostProvider().start({ image: image.tag, runId: `bench-${process.pid}`, role: 'bench' });
  await host.exec(['true']);
});

afterAll(async () => {
  await host?.stop();
});

describe('exec a command in a host', () => {
  bench('baseline: docker exec (CLI)', () => {
    execFileSync('docker', ['exec', host.id, 'dpkg-query', '-W', 'nginx-light']);
  }, { iterations: 20, warmupIterations: 2 });

  bench('patchlab: Host.exec (dockerode, with timeout guard)', async () => {
    await host.exec(['dpkg-query', '-W', 'nginx-light']);
  }, { iterations: 20, warmupIterations: 2 });
});
