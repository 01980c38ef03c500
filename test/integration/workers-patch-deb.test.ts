import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../lab/config/paths.ts';
import { dockerClient } from '../../lab/hosts/docker-client.ts';
import { RUN_LABEL } from '../../lab/hosts/labels.ts';
import { resolveImage } from '../../lab/images/build.ts';
import { sha256 } from '../../lab/images/hash.ts';
import { engineOf } from '../../lab/jobs/engine-routing.ts';
import { mirrorlessPaths } from '../../lab/jobs/prepared-files.ts';
import { localPathOf } from '../../lab/patches/pinned-files.ts';
import { buildDeb } from '../../lab/patches/synthetic-deb.ts';
import type { RolloutMeta } from '../../rollout/drive/new-rollout.ts';
import { useJobDatabase } from '../contract/job-database-fixture.ts';
import { exited, spawnPatchlab, stopPatchlab, until, WORKER_READY, type PatchlabProcess } from './patchlab-process.ts';

/*
 * A `--patch file.deb` rollout on two workers whose package caches are separate: the .deb is on
 * no mirror, so only the preparing worker's cache has it; the other worker takes its bytes from
 * the database, pin-checked, into its own cache, which the hosts it started mount. The two
 * workers name the host's one Docker engine two ways (its socket, and a link to it), which the
 * queue takes for two engines as it would two lab machines': each worker starts its share of the
 * fleet with its own cache and takes that share's steps. The coordinator has no engine.
 */
const scenarioFile = join(projectRoot, 'test/fixtures/scenarios/workers.yaml');
const scratch = mkdtempSync(join(tmpdir(), 'patchlab-patchdeb-'));
const id = `rollout-patchdeb-${process.pid}`;
const docker = dockerClient();
const fixture = useJobDatabase();
const children: PatchlabProcess[] = [];

function patchlab(args: string[], env: Record<string, string> = {}) {
  const started = spawnPatchlab(args, { PATCHLAB_DATABASE_URL: fixture().database.url, PATCHLAB_HOME: join(scratch, 'home'), ...env });
  children.push(started);
  return started;
}

describe('a --patch file.deb rollout on workers with caches of their own', () => {
  beforeAll(async () => {
    await resolveImage('web');
  }, 300_000);

  afterAll(async () => {
    for (const c of children) stopPatchlab(c, 'SIGKILL');
    for (const c of await docker.listContainers({ all: true, filters: { label: [`${RUN_LABEL}=${id}`] } })) await docker.getContainer(c.Id).remove({ force: true, v: true });
    rmSync(scratch, { recursive: true, force: true });
  }, 120_000);

  it('completes: the worker that did not prepare it takes the .deb from the database, and every host installs the pinned bytes', async () => {
    const deb = buildDeb(
      { name: 'patchlab-vendor-hotfix', version: '1.0-1', description: 'a vendor hotfix stand-in on no mirror', files: [{ path: '/usr/share/patchlab-vendor-hotfix/NOTE', content: `hotfix for ${id}\n` }] },
      join(scratch, 'debs'),
    );
    const socket = engineOf().slice('unix://'.length);
    mkdirSync(join(scratch, 'b'));
    symlinkSync(socket, join(scratch, 'b', 'docker.sock'));
    const lab = [
      { engine: engineOf(), cache: join(scratch, 'a', 'cache') },
      { engine: `unix://${join(scratch, 'b', 'docker.sock')}`, cache: join(scratch, 'b', 'cache') },
    ];
    const workers = lab.map(({ engine, cache }) => patchlab(['worker', '--concurrency', '2', '--docker-host', engine, '--cache', cache]));
    for (const w of workers) await until(() => WORKER_READY.test(w.output), () => w.output);
    const coordinator = patchlab(['rollout', 'start', scenarioFile, '--id', id, '--keep', '--patch', deb], {
      DOCKER_HOST: `unix://${join(scratch, 'no-engine', 'docker.sock')}`,
      PATCHLAB_CACHE: join(scratch, 'coordinator', 'cache'),
    });
    const logs = () => children.map((c) => c.output).join('\n---\n');
    const code = await Promise.race([exited(coordinator), sleep(480_000).then(() => 'timeout')]);
    const record = await fixture().jobs.store.loadRollout(id);
    expect(record?.state.phase, logs()).toBe('completed');
    expect(code).toBe(0);

    const prepared = (record!.meta as unknown as RolloutMeta).prepared;
    const local = mirrorlessPaths(prepared.sha256!);
    expect(local.length).toBeGreaterThan(0);
    const preparer = workers.findIndex((w) => /prepare the patch of rollout \S+: .* as /.test(w.output));
    expect(preparer, logs()).toBeGreaterThanOrEqual(0);
    const other = 1 - preparer;
    // The other worker's cache holds the pinned bytes, taken from the database, not built or fetched.
    for (const path of local) expect(sha256(readFileSync(localPathOf(lab[other]!.cache, path))), path).toBe(prepared.sha256![path]);
    expect(workers[other]!.output).toMatch(new RegExp(`rollout ${id}: package cache \\S+ holds its \\d+ pinned file\\(s\\), ${local.length} from the database`));
    expect(workers[preparer]!.output).toContain(`rollout ${id}: ${local.length} pinned file(s) no mirror has, kept in the database`);
    // Both workers patched hosts of their own share.
    for (const w of workers) expect(w.output).toMatch(new RegExp(`patch \\S+ \\(rollout ${id}\\): patched`));
    // Every host has the hotfix installed.
    for (const c of await docker.listContainers({ filters: { label: [`${RUN_LABEL}=${id}`, 'patchlab.fleet-host'] } })) {
      const exec = await docker.getContainer(c.Id).exec({ Cmd: ['dpkg-query', '-W', '-f', '${Version}', 'patchlab-vendor-hotfix'], AttachStdout: true, AttachStderr: true });
      const stream = await exec.start({});
      const out = await new Promise<string>((resolve) => {
        let text = '';
        stream.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
        stream.on('end', () => resolve(text));
      });
      expect(out, c.Labels['patchlab.fleet-host']).toContain('1.0-1');
    }
    for (const w of workers) stopPatchlab(w, 'SIGTERM');
  }, 600_000);
});

