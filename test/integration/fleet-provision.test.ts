import Docker from 'dockerode';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RUN_LABEL } from '../../lab/hosts/labels.ts';
import { resolveImage, type ResolvedImage } from '../../lab/images/build.ts';
import { PackageCache } from '../../lab/patches/cache.ts';
import { loadCheckSuite } from '../../lab/run/check-suite.ts';
import { ContainerFleet } from '../../rollout/fleets/containers/container-fleet.ts';
import type { PreparedPatch } from '../../rollout/fleets/containers/prepared-patch.ts';

/*
 * A rollout starts its fleet's containers while its patch is still being prepared. On the real
 * Docker engine: the fleet is ready only once the patch is, and a preparation that fails leaves
 * no container behind and says why.
 */

const docker = new Docker();
const cache = new PackageCache();
const goss = new URL('../../lab/images/definitions/web/web.goss.yaml', import.meta.url).pathname;
const prefix = `test-provision-${process.pid}`;
let image: ResolvedImage;

// Only what starting a fleet reads; nothing is installed in these tests.
const PREPARED: PreparedPatch = {
  name: '1 package update',
  version: 'patch-test',
  baseVersion: 'base-test',
  packages: [{ name: 'tzdata', to: '9999' }],
  installFiles: [],
  removals: [],
  baseVersions: {},
  faultDebs: {},
};

const containersOf = async (rolloutId: string) => docker.listContainers({ all: true, filters: { label: [`${RUN_LABEL}=${rolloutId}`] } });

beforeAll(async () => {
  image = await resolveImage('web');
});

afterAll(async () => {
  const left = (await docker.listContainers({ all: true, filters: { label: [RUN_LABEL] } })).filter((c) => c.Labels[RUN_LABEL]?.startsWith(prefix));
  await Promise.all(left.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined)));
});

const provision = (rolloutId: string, prepared: Promise<PreparedPatch>) =>
  loadCheckSuite([goss], { screenshotDir: '/tmp' }).then((checks) =>
    ContainerFleet.provision({ rolloutId, image, prepared, cache, checks, faults: new Map(), size: 2, namePrefix: 'web' }),
  );

it('is ready once the patch is prepared, its hosts up and on the version before the patch', async () => {
  const rolloutId = `${prefix}-ready`;
  let preparedAt = 0;
  const preparing = sleep(1_500).then(() => {
    preparedAt = Date.now();
    return PREPARED;
  });
  const fleet = await provision(rolloutId, preparing);
  try {
    expect(preparedAt).toBeGreaterThan(0);
    expect(fleet.hosts().map((h) => [h.id, h.version])).toEqual([
      ['web-01', 'base-test'],
      ['web-02', 'base-test'],
    ]);
    expect((await containersOf(rolloutId)).map((c) => c.State)).toEqual(['running', 'running']);
    const observation = await fleet.check('web-01');
    expect(observation.checks.every((c) => c.status === 'pass' || c.status === 'skip')).toBe(true);
  } finally {
    await fleet.close();
  }
  expect(await containersOf(rolloutId)).toEqual([]);
});

it('stops every container it started when the patch cannot be prepared, and fails with the preparation\'s reason', async () => {
  const rolloutId = `${prefix}-failed`;
  const preparing = sleep(500).then((): PreparedPatch => {
    throw new Error('nothing to roll out: no pending update matches the patch on image web');
  });
  await expect(provision(rolloutId, preparing)).rejects.toThrow('nothing to roll out');
  expect(await containersOf(rolloutId)).toEqual([]);
});
