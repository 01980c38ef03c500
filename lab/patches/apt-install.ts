/**
 * How a host installs a patch from the read-only package cache: with apt-get, given the cached
 * files by path. Not one `dpkg -i` of every file: dpkg unpacks in the order it is given and does
 * not configure a package's pre-dependency first, so a patch such as libpam's
 * (libpam-modules pre-depends on the same version of libpam-modules-bin) fails half-way.
 * apt orders the unpack and configure steps as an unattended upgrade on the fleet would.
 */

/** Where every host sees the cache, read-only. */
export const CACHE_MOUNT = '/var/cache/patchlab';

/**
 * An empty sources list and parts folder inside the cache. apt reads no archive's lists
 * through them, so it can only use the files it is given and what the host has installed: the
 * install can never reach a mirror, and a plan that needs more than the cache holds is refused.
 */
export const OFFLINE_SOURCES = { list: 'offline/sources.list', parts: 'offline/sources.list.d' } as const;

export const APT_ENV = { DEBIAN_FRONTEND: 'noninteractive' };

const OFFLINE_OPTIONS = [
  '-o', `Dir::Etc::SourceList=${CACHE_MOUNT}/${OFFLINE_SOURCES.list}`,
  '-o', `Dir::Etc::SourceParts=${CACHE_MOUNT}/${OFFLINE_SOURCES.parts}`,
  // Built in memory: nothing is written to the host's apt cache, which a full disk could refuse.
  '-o', 'Dir::Cache::pkgcache=',
  '-o', 'Dir::Cache::srcpkgcache=',
  // The cache belongs to root on the lab machine; apt's _apt user may not read it.
  '-o', 'APT::Sandbox::User=root',
  // As the images were built and the fetcher planned: a patch pulls in no recommends.
  '-o', 'APT::Install-Recommends=false',
  // Keep the host's own config files on upgrade, as an unattended upgrade does.
  '-o', 'Dpkg::Options::=--force-confdef',
  '-o', 'Dpkg::Options::=--force-confold',
  // Plain lines in the evidence, not a progress bar drawn with escape codes.
  '-o', 'Dpkg::Use-Pty=0',
];

/**
 * The command that puts the given cached .deb files on a host and removes `removals`, in one
 * apt transaction. `restore` allows downgrades: a rollback goes back to the versions before.
 */
export function aptInstallArgv(files: readonly string[], removals: readonly string[], mode: 'patch' | 'restore'): string[] {
  for (const file of files) {
    // apt takes an argument as a file only when it is a path; anything else would be a package name to look up.
    if (!file.startsWith('/') || !file.endsWith('.deb')) throw new Error(`not a cached .deb path: ${JSON.stringify(file)}`);
  }
  return [
    'apt-get',
    ...OFFLINE_OPTIONS,
    '-q',
    '-y',
    // A rollback purges what the patch added, as if it had never been there.
    ...(mode === 'restore' ? ['--allow-downgrades', '--purge'] : []),
    'install',
    ...files,
    // "name-" asks apt to remove the package in the same transaction.
    ...removals.map((name) => `${name}-`),
  ];
}
