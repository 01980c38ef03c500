import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mustExec, type Host } from '../../../lab/hosts/host.ts';
import { sha256 } from '../../../lab/images/hash.ts';
import { CACHE_MOUNT, OFFLINE_SOURCES } from '../../../lab/patches/apt-install.ts';
import type { PackageCache } from '../../../lab/patches/cache.ts';

/*
 * A server does not mount the lab's package cache as a container does: the files of the patch
 * (and of its rollback) are copied to the same paths under CACHE_MOUNT on the server, so the
 * very apt command the lab runs (apt-install.ts) runs there unchanged. Each file's sha256 is
 * checked on the server itself before apt may use it: what apt installs is what the cache holds.
 */

/** The file on this machine for a path as hosts see the cache. Pure. */
export function localPathOf(cacheRoot: string, hostPath: string): string {
  if (!hostPath.startsWith(`${CACHE_MOUNT}/`) || hostPath.split('/').includes('..')) throw new Error(`not a path in the package cache: ${JSON.stringify(hostPath)}`);
  return join(cacheRoot, hostPath.slice(CACHE_MOUNT.length + 1));
}

/** `sha256sum` lines to a map of path to digest; a missing file prints nothing on stdout. Pure. */
export function parseSha256sum(text: string): Map<string, string> {
  const sums = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]{64}) [ *](\/.+)$/.exec(line);
    if (m) sums.set(m[2] as string, m[1] as string);
  }
  return sums;
}

async function sumsOnServer(host: Host, paths: readonly string[]): Promise<Map<string, string>> {
  // Exits 1 for a file not there yet: that is an answer, not a failure.
  const result = await host.exec(['sha256sum', '--', ...paths], { timeoutMs: 120_000 });
  if (result.exitCode > 1 || result.timedOut) throw new Error(`on ${host.name}: sha256sum failed: ${result.stderr.trim()}`);
  return parseSha256sum(result.stdout);
}

/**
 * Puts the cached files on the server (those not there already, or there with other content),
 * with the offline sources apt is pointed at, then proves every file by its sha256 on the server.
 */
export async function stageOnServer(host: Host, cache: PackageCache, files: readonly string[]): Promise<{ copied: number }> {
  const wanted = new Map(files.map((path) => [path, readFileSync(localPathOf(cache.root, path))]));
  const expected = new Map([...wanted].map(([path, content]) => [path, sha256(content)]));
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
