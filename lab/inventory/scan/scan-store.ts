import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataDir } from '../../config/paths.ts';
import { sha256 } from '../../images/hash.ts';
import { nextFirstSeen, type FirstSeen } from './first-seen.ts';
import type { HostScan } from './host-scan.ts';

/**
 * Where scans are kept. Narrow on purpose: the JSON files below are a stand-in until the store's
 * hosts interface takes scans over.
 */
export interface HostScanStore {
  save(scan: HostScan): void;
  /** The latest scan of each host ever scanned, by host name. */
  latest(): HostScan[];
  /** When a scan first saw each of the host's pending packages. */
  firstSeen(host: string): FirstSeen;
}

/** Scans kept per host, newest first; older ones are removed as new ones come. */
const KEEP_PER_HOST = 20;

/** One folder per host under $PATCHLAB_HOME/inventory, one JSON file per scan, named by its time. */
export class JsonHostScanStore implements HostScanStore {
  constructor(readonly dir = join(dataDir(), 'inventory')) {}

  save(scan: HostScan): void {
    const folder = join(this.dir, hostFolder(scan.host));
    mkdirSync(folder, { recursive: true });
    writeAside(folder, `${scan.scannedAt.replace(/[-:.]/g, '')}.json`, scan);
    // Beside the scans, and kept whole: the scans themselves go after KEEP_PER_HOST.
    writeAside(folder, FIRST_SEEN, nextFirstSeen(this.firstSeen(scan.host), scan));
    for (const old of scanFiles(folder).slice(KEEP_PER_HOST)) rmSync(join(folder, old), { force: true });
  }

  firstSeen(host: string): FirstSeen {
    try {
      const parsed: unknown = JSON.parse(readFileSync(join(this.dir, hostFolder(host), FIRST_SEEN), 'utf8'));
      if (typeof parsed !== 'object' || parsed === null) return {};
      return Object.fromEntries(Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === 'string'));
    } catch {
      return {};
    }
  }

  latest(): HostScan[] {
    let folders: string[];
    try {
      folders = readdirSync(this.dir);
    } catch {
      return [];
    }
    const scans: HostScan[] = [];
    for (const folder of folders) {
      for (const file of scanFiles(join(this.dir, folder))) {
        try {
          scans.push(JSON.parse(readFileSync(join(this.dir, folder, file), 'utf8')) as HostScan);
          break;
        } catch {
          // A file that does not parse is skipped: the next older scan stands.
        }
      }
    }
    return scans.sort((a, b) => a.host.localeCompare(b.host));
  }
}

const FIRST_SEEN = 'first-seen.json';

/** Written aside and renamed: a reader never sees half a file. */
function writeAside(folder: string, name: string, value: unknown): void {
  const partial = join(folder, `.${name}.${process.pid}`);
  writeFileSync(partial, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(partial, join(folder, name));
}

/** Newest first: the names are compact ISO times, which sort as times do. */
function scanFiles(folder: string): string[] {
  try {
    return readdirSync(folder).filter((f) => /^\d{8}T\d{9}Z\.json$/.test(f)).sort().reverse();
  } catch {
    return [];
  }
}

/** A folder name for any host name: readable where it can be, unique by a hash of the name. */
function hostFolder(host: string): string {
  return `${host.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64)}-${sha256(host).slice(0, 8)}`;
}
