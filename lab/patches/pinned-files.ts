import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Host } from '../hosts/host.ts';
import { sha256 } from '../images/hash.ts';
import { CACHE_MOUNT } from './apt-install.ts';

/*
 * Every .deb of a prepared patch is pinned by its sha256 in the stored plan (a rollout's meta, a
 * lab run's report), and a host installs a file only once its own copy is proven to have those
 * bytes: the host's sha256sum of the file as the host sees it. A worker with a cache of its own
 * that fetched other bytes for the same name (a mirror that changed, a file altered on disk) is
 * refused before anything on the host changes.
 */

/** Host paths under CACHE_MOUNT to the sha256 of their content. */
export type Pins = Readonly<Record<string, string>>;

/** The file on this machine for a path as hosts see the cache. Pure. */
export function localPathOf(cacheRoot: string, hostPath: string): string {
  if (!hostPath.startsWith(`${CACHE_MOUNT}/`) || hostPath.split('/').includes('..')) throw new Error(`not a path in the package cache: ${JSON.stringify(hostPath)}`);
  return join(cacheRoot, hostPath.slice(CACHE_MOUNT.length + 1));
}

/** The pins of cached files, from this machine's cache as it is now: what a plan records when it is made. */
export function pinFiles(cacheRoot: string, hostPaths: readonly string[]): Record<string, string> {
  return Object.fromEntries(hostPaths.map((path) => [path, sha256(readFileSync(localPathOf(cacheRoot, path)))]));
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

/** The sha256 of each file as the host sees it; a file the host does not have is left out. */
export async function sumsOnHost(host: Host, paths: readonly string[]): Promise<Map<string, string>> {
  if (paths.length === 0) return new Map();
  // Exits 1 for a file not there: that is an answer, not a failure.
  const result = await host.exec(['sha256sum', '--', ...paths], { timeoutMs: 120_000 });
  if (result.exitCode > 1 || result.timedOut) throw new Error(`on ${host.name}: sha256sum failed: ${result.stderr.trim()}`);
  return parseSha256sum(result.stdout);
}

/** The package a .deb path names (apt's and patchlab's local file names both put it before the version). */
export function packageOfDeb(path: string): string {
  const name = basename(path);
  const local = /^[0-9a-f]{12}_(.+)$/.exec(name)?.[1];
  return (local ?? name).split('_')[0] ?? name;
}

/** Each file whose bytes are not the pinned ones, as "package (file): expected sha256 X, got Y". Pure. */
export function pinMismatches(files: readonly string[], pins: Pins, found: ReadonlyMap<string, string>): string[] {
  return files.flatMap((path) => {
    const expected = pins[path];
    const got = found.get(path);
    if (expected !== undefined && got === expected) return [];
    const what = `${packageOfDeb(path)} (${basename(path)})`;
    if (expected === undefined) return [`${what} is not pinned in the stored plan`];
    return [`${what}: expected sha256 ${expected}, got ${got ?? 'no such file'}`];
  });
}

/** Refuses, naming each package with the expected and found sha256, unless the host's copy of every file is the pinned bytes. */
export async function verifyPins(host: Host, files: readonly string[], pins: Pins): Promise<void> {
  const wrong = pinMismatches(files, pins, await sumsOnHost(host, files));
  if (wrong.length > 0) {
    throw new Error(`on ${host.name}: the package cache does not hold the bytes the stored plan pinned: ${wrong.join('; ')}; nothing was installed`);
  }
}
