import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { sha256 } from '../images/hash.ts';
import { silent, type Progress } from '../progress.ts';
import { CACHE_MOUNT } from './apt-install.ts';
import { localPathOf, pinMismatches, type Pins } from './pinned-files.ts';

/*
 * A worker's own package cache holds what its own lab runs fetched, not what another machine
 * prepared a rollout from. Before a host step uses it, the cache gets exactly the files the
 * stored plan pins, from the mirror (this machine's apt sources), and every one is checked
 * against its pin: a file with other bytes is refused, never handed to a host.
 */

/** What a fill needs of a fetcher: apt-get download of exact versions into the cache, and closing it. */
export interface MirrorDownloads {
  download(packages: readonly { name: string; version: string }[]): Promise<void>;
  close(): Promise<void>;
}

/** A pinned file apt downloads into the cache's archives: its package and exact version. */
export interface ArchiveDeb {
  path: string;
  name: string;
  version: string;
}

const ARCHIVES = `${CACHE_MOUNT}/archives/`;

/** The pinned files that come from the mirror (apt's archives), by package and version; the rest are local .debs. Pure. */
export function archiveDebs(pins: Pins): ArchiveDeb[] {
  return Object.keys(pins).flatMap((path) => {
    if (!path.startsWith(ARCHIVES) || path.slice(ARCHIVES.length).includes('/')) return [];
    // apt's own naming: name_version_arch.deb, a version's epoch colon written %3a (debFileName).
    const m = /^([a-z0-9][a-z0-9+.-]+)_([^_]+)_([a-z0-9-]+)\.deb$/.exec(basename(path));
    return m ? [{ path, name: m[1] as string, version: decodeURIComponent(m[2] as string) }] : [];
  });
}

export class PinMismatchError extends Error {}

export interface FillOutcome {
  /** Files downloaded from the mirror by this fill. */
  fetched: string[];
}

/**
 * Fills `cacheRoot` with the pinned files it lacks from the mirror, then checks every pinned file
 * it holds against its pin. Throws PinMismatchError naming each package with the expected and the
 * found sha256 when any differ. `openMirror` is called only when a file is missing.
 */
export async function fillPinnedFiles(cacheRoot: string, pins: Pins, openMirror: () => Promise<MirrorDownloads>, progress: Progress = silent): Promise<FillOutcome> {
  const missing = archiveDebs(pins).filter((d) => !existsSync(localPathOf(cacheRoot, d.path)));
  if (missing.length > 0) {
    progress(`package cache ${cacheRoot}: fetching ${missing.length} pinned file(s) of the stored plan from the mirror`);
    const mirror = await openMirror();
    try {
      await mirror.download(missing.map(({ name, version }) => ({ name, version })));
    } finally {
      await mirror.close();
    }
    const still = missing.filter((d) => !existsSync(localPathOf(cacheRoot, d.path)));
    if (still.length > 0) {
      throw new Error(`package cache ${cacheRoot}: the mirror gave no ${still.map((d) => `${basename(d.path)} (${d.name} ${d.version})`).join(', ')}, which the stored plan pins`);
    }
  }
  const held = Object.keys(pins).filter((path) => existsSync(localPathOf(cacheRoot, path)));
  const sums = new Map(held.map((path) => [path, sha256(readFileSync(localPathOf(cacheRoot, path)))]));
  const wrong = pinMismatches(held, pins, sums);
  if (wrong.length > 0) {
    throw new PinMismatchError(`package cache ${cacheRoot} does not hold the bytes the stored plan pinned: ${wrong.join('; ')}; refused, nothing was installed`);
  }
  return { fetched: missing.map((d) => d.path) };
}
