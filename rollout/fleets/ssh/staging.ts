import { readFileSync } from 'node:fs';
import { mustExec, type Host } from '../../../lab/hosts/host.ts';
import { sha256 } from '../../../lab/images/hash.ts';
import { CACHE_MOUNT, OFFLINE_SOURCES } from '../../../lab/patches/apt-install.ts';
import type { PackageCache } from '../../../lab/patches/cache.ts';
import { localPathOf, pinMismatches, sumsOnHost as sumsOnServer, type Pins } from '../../../lab/patches/pinned-files.ts';

export { localPathOf, parseSha256sum } from '../../../lab/patches/pinned-files.ts';

/*
 * A server does not mount the lab's package cache as a container does: the files of the patch
 * (and of its rollback) are copied to the same paths under CACHE_MOUNT on the server, so the
 * very apt command the lab runs (apt-install.ts) runs there unchanged. Each file's sha256 is
 * checked on the server itself before apt may use it: what apt installs is what the cache holds,
 * and, when the stored plan pinned the files (pinned-files.ts), what the plan pinned.
 */

/**
 * Puts the cached files on the server (those not there already, or there with other content),
 * with the offline sources apt is pointed at, then proves every file by its sha256 on the server.
 */
export async function stageOnServer(host: Host, cache: PackageCache, files: readonly string[], pins?: Pins): Promise<{ copied: number }> {
  const wanted = new Map(files.map((path) => [path, readFileSync(localPathOf(cache.root, path))]));
  const expected = new Map([...wanted].map(([path, content]) => [path, sha256(content)]));
  // This machine's cache first: bytes other than the plan's are never copied to a server.
  const unpinned = pins ? pinMismatches(files, pins, expected) : [];
  if (unpinned.length > 0) throw new Error(`for ${host.name}: this machine's package cache does not hold the bytes the stored plan pinned: ${unpinned.join('; ')}; nothing was copied, apt was not run`);
  await mustExec(host, ['mkdir', '-p', `${CACHE_MOUNT}/${OFFLINE_SOURCES.parts}`, `${CACHE_MOUNT}/archives`, `${CACHE_MOUNT}/local`]);
  await mustExec(host, ['touch', '--', `${CACHE_MOUNT}/${OFFLINE_SOURCES.list}`]);
  if (files.length === 0) return { copied: 0 };
  const present = await sumsOnServer(host, files);
  const missing = files.filter((path) => present.get(path) !== expected.get(path));
  if (missing.length > 0) await host.copyIn(missing.map((path) => ({ path, content: wanted.get(path) as Buffer, mode: 0o644 })));
  const arrived = missing.length > 0 ? await sumsOnServer(host, files) : present;
  const wrong = files.filter((path) => arrived.get(path) !== expected.get(path));
  if (wrong.length > 0) {
    throw new Error(`on ${host.name}: ${wrong.map((p) => `${p} has sha256 ${arrived.get(p) ?? '(missing)'}, the cache's is ${expected.get(p)}`).join('; ')}: apt was not run`);
  }
  return { copied: missing.length };
}
