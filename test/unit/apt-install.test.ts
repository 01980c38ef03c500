import { describe, expect, it } from 'vitest';
import { aptInstallArgv, CACHE_MOUNT } from '../../lab/patches/apt-install.ts';

describe('aptInstallArgv', () => {
  const file = `${CACHE_MOUNT}/archives/tzdata_2026f-0+deb12u1_all.deb`;

  it('installs only from the cache: no archive is configured, so apt can use nothing but the files', () => {
    const argv = aptInstallArgv([file], [], 'patch');
    expect(argv[0]).toBe('apt-get');
    expect(argv).toContain(`Dir::Etc::SourceList=${CACHE_MOUNT}/offline/sources.list`);
    expect(argv).toContain(`Dir::Etc::SourceParts=${CACHE_MOUNT}/offline/sources.list.d`);
    expect(argv.slice(-1)).toEqual([file]);
    expect(argv).not.toContain('--allow-downgrades');
  });

  it('removes in the same transaction, and a rollback may downgrade and purges what the patch added', () => {
    expect(aptInstallArgv([file], ['nginx-extras'], 'patch').slice(-2)).toEqual([file, 'nginx-extras-']);
    const restore = aptInstallArgv([file], ['newdep'], 'restore');
    expect(restore).toEqual(expect.arrayContaining(['--allow-downgrades', '--purge']));
    expect(restore.slice(-2)).toEqual([file, 'newdep-']);
  });

  it('refuses an argument apt would take for a package name to look up instead of a file', () => {
    expect(() => aptInstallArgv(['tzdata'], [], 'patch')).toThrow(/not a cached \.deb path: "tzdata"/);
    expect(() => aptInstallArgv(['archives/x.deb'], [], 'patch')).toThrow(/not a cached \.deb path/);
  });
});
