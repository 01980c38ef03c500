import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerHostProvider } from '../../lab/hosts/docker-provider.ts';
import type { Host } from '../../lab/hosts/host.ts';
import { resolveImage } from '../../lab/images/build.ts';
import { installedVersions, applyPatch, rollbackPatch } from '../../lab/patches/apply.ts';
import { CACHE_MOUNT, PackageCache } from '../../lab/patches/cache.ts';
import { localPathOf, pinFiles } from '../../lab/patches/pinned-files.ts';
import { buildDeb } from '../../lab/patches/synthetic-deb.ts';
import { sha256 } from '../../lab/images/hash.ts';

/*
 * A patch whose packages must be set up in a certain order, as Debian's libpam security update of
 * 2026-12 is: libpam-modules pre-depends on the same version of libpam-modules-bin, so the latter
 * must be configured before the former is unpacked. Two synthetic packages with that shape, on a
 * real web container, installed from a private package cache.
 */

const runId = `test-patch-apply-${process.pid}`;
const root = mkdtempSync(join(tmpdir(), 'patchlab-apply-'));
const cache = new PackageCache(join(root, 'cache'));
const debs = join(root, 'debs');

/** `modules` version v pre-depends on `bin` of the same version, like libpam-modules. */
function pair(version: string): { modules: string; bin: string } {
  const bin = buildDeb({ name: 'patchlab-pam-bin', version, description: 'stand-in for libpam-modules-bin', files: [{ path: '/usr/share/patchlab-pam/bin', content: version }] }, debs);
  const modules = buildDeb(
    {
      name: 'patchlab-pam-modules',
      version,
      description: 'stand-in for libpam-modules',
      preDepends: [`patchlab-pam-bin (= ${version})`],
      files: [{ path: '/usr/share/patchlab-pam/modules', content: version }],
    },
    debs,
  );
  // Where a fetch leaves them: the archives folder, under apt's own file names.
  for (const file of [bin, modules]) copyFileSync(file, join(cache.root, 'archives', file.split('/').pop() ?? ''));
  const inCache = (file: string) => `${CACHE_MOUNT}/archives/${file.split('/').pop()}`;
  return { modules: inCache(modules), bin: inCache(bin) };
}

describe('applying a patch with a pre-dependency inside it', () => {
  let host: Host;
  const v1 = pair('1.0');
  const v2 = pair('2.0');

  beforeAll(async () => {
    const image = await resolveImage('web');
    host = await new DockerHostProvider().start({ image: image.tag, runId, role: 'apply', mounts: [cache.hostMount()] });
    const first = await applyPatch(host, [v1.modules, v1.bin]);
    expect(first.ok, first.output).toBe(true);
  });
  afterAll(async () => {
    await host?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('installs both, whatever order the files are listed in, and rolls back to the exact versions before', async () => {
    // As a dependency would be: apt may autoremove it once nothing needs it, and the patch must not change that.
    await host.exec(['apt-mark', 'auto', 'patchlab-pam-bin']);
    // The pre-depending package first: one `dpkg -i` of the files in this order refuses to unpack it.
    const patch = await applyPatch(host, [v2.modules, v2.bin]);
    expect(patch.ok, patch.output).toBe(true);
    const after = await installedVersions(host);
    expect(after.get('patchlab-pam-modules')).toBe('2.0');
    expect(after.get('patchlab-pam-bin')).toBe('2.0');

    const rollback = await rollbackPatch(host, patch.before, cache);
    expect(rollback.restored, rollback.output).toBe(true);
    const back = await installedVersions(host);
    expect(back.get('patchlab-pam-modules')).toBe('1.0');
    expect(back.get('patchlab-pam-bin')).toBe('1.0');
    expect((await host.exec(['cat', '/usr/share/patchlab-pam/modules'])).stdout).toBe('1.0');
    // apt marks what it is given as installed by hand; the patch and the rollback keep the marks as they were.
    const auto = (await host.exec(['apt-mark', 'showauto'])).stdout.split('\n');
    expect(auto).toContain('patchlab-pam-bin');
    expect(auto).not.toContain('patchlab-pam-modules');
  });

  it('installs only the bytes the stored plan pinned: a cached file altered after the plan was stored is refused before anything changes', async () => {
    const v3 = pair('3.0');
    const files = [v3.modules, v3.bin];
    const pins = pinFiles(cache.root, files);
    const before = await installedVersions(host);
    const log = async () => (await host.exec(['cat', '/var/log/dpkg.log'])).stdout;
    const logBefore = await log();

    // Another worker's cache, or this one altered on disk: the same name, other bytes.
    const binOnDisk = localPathOf(cache.root, v3.bin);
    const original = readFileSync(binOnDisk);
    writeFileSync(binOnDisk, Buffer.concat([original, Buffer.from('tampered')]));
    const got = sha256(readFileSync(binOnDisk));
    await expect(applyPatch(host, files, [], { pins })).rejects.toThrow(
      `the package cache does not hold the bytes the stored plan pinned: patchlab-pam-bin (patchlab-pam-bin_3.0_all.deb): expected sha256 ${pins[v3.bin]}, got ${got}; nothing was installed`,
    );
    expect(await installedVersions(host)).toEqual(before);
    expect(await log()).toBe(logBefore);
    // A file the plan never pinned is refused too.
    await expect(applyPatch(host, files, [], { pins: { [v3.modules]: pins[v3.modules]! } })).rejects.toThrow('patchlab-pam-bin (patchlab-pam-bin_3.0_all.deb) is not pinned in the stored plan');

    // The pinned bytes back: installed.
    writeFileSync(binOnDisk, original);
    const patch = await applyPatch(host, files, [], { pins });
    expect(patch.ok, patch.output).toBe(true);
    expect((await installedVersions(host)).get('patchlab-pam-bin')).toBe('3.0');
    const rollback = await rollbackPatch(host, patch.before, cache, { pins: pinFiles(cache.root, [v1.modules, v1.bin]) });
    expect(rollback.restored, rollback.output).toBe(true);
  });

  it('on the demo web image a patch writes what the server runs and each copyright, but no docs, manuals or translations; a rollback puts the old bytes back', async () => {
    // The image is as dpkg would have made it with its exclusions in place from the start.
    const leftOver = await host.exec(['sh', '-c', 'find /usr/share/man /usr/share/locale /usr/share/info -type f; find /usr/share/doc -type f ! -name copyright']);
    expect(leftOver.stdout).toBe('');
    const slim = (version: string) => {
      const file = buildDeb(
        {
          name: 'patchlab-slim',
          version,
          description: 'a package with docs, a manual and a translation',
          files: [
            { path: '/usr/lib/patchlab-slim/program', content: `program ${version}` },
            { path: '/usr/share/doc/patchlab-slim/copyright', content: `copyright ${version}` },
            { path: '/usr/share/doc/patchlab-slim/README', content: `readme ${version}` },
            { path: '/usr/share/man/man1/patchlab-slim.1', content: `manual ${version}` },
            { path: '/usr/share/locale/fr/LC_MESSAGES/patchlab-slim.mo', content: `traduction ${version}` },
          ],
        },
        debs,
      );
      copyFileSync(file, join(cache.root, 'archives', file.split('/').pop() ?? ''));
      return `${CACHE_MOUNT}/archives/${file.split('/').pop()}`;
    };
    const onDisk = async () => (await host.exec(['sh', '-c', 'for f in $(find /usr/lib/patchlab-slim /usr/share/doc/patchlab-slim /usr/share/man /usr/share/locale -type f | sort); do echo "$f: $(cat $f)"; done'])).stdout;
    const installed = await applyPatch(host, [slim('1.0')]);
    expect(installed.ok, installed.output).toBe(true);
    const patch = await applyPatch(host, [slim('2.0')]);
    expect(patch.ok, patch.output).toBe(true);
    expect(await onDisk()).toBe('/usr/lib/patchlab-slim/program: program 2.0\n/usr/share/doc/patchlab-slim/copyright: copyright 2.0\n');
    const rollback = await rollbackPatch(host, patch.before, cache);
    expect(rollback.restored, rollback.output).toBe(true);
    expect(await onDisk()).toBe('/usr/lib/patchlab-slim/program: program 1.0\n/usr/share/doc/patchlab-slim/copyright: copyright 1.0\n');
  });

  it('never reaches a mirror: a package the cache does not hold is refused before anything changes', async () => {
    const lonely = buildDeb(
      { name: 'patchlab-needs-more', version: '1.0', description: 'depends on a package only a mirror has', depends: ['cowsay'], files: [] },
      debs,
    );
    copyFileSync(lonely, join(cache.root, 'archives', 'patchlab-needs-more_1.0_all.deb'));
    const outcome = await applyPatch(host, [`${CACHE_MOUNT}/archives/patchlab-needs-more_1.0_all.deb`]);
    expect(outcome.ok).toBe(false);
    expect(outcome.output).toMatch(/cowsay/);
    expect(outcome.changes).toEqual([]);
  });
});
