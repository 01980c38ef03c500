import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { dataDir } from '../../lab/config/paths.ts';
import { shortHash } from '../../lab/images/hash.ts';
import { isOwnerAlive, ownerToken } from '../../lab/hosts/labels.ts';

/**
 * Which process drives a rollout: a folder per rollout beside the store, holding the driver's
 * owner token. It keeps a second `rollout start --id` off a rollout another process drives (two
 * drivers would patch the same hosts), and lets the web page say when nobody drives one.
 */
export class DriverBusy extends Error {
  constructor(
    readonly rolloutId: string,
    readonly owner: string,
  ) {
    const [host, pid] = owner.split(':');
    super(`rollout ${rolloutId} is already driven by patchlab process ${pid} on ${host}; stop that one first (Ctrl-C pauses it and keeps its fleet)`);
    this.name = 'DriverBusy';
  }
}

/** Where a store's leases live: beside its database, or per process for an in-memory store no other process can see. */
export function leaseRoot(storeLocation: string): string {
  if (storeLocation === ':memory:') return join(tmpdir(), `patchlab-drivers-${process.pid}`);
  if (isAbsolute(storeLocation)) return join(dirname(storeLocation), 'drivers');
  // A database server (its location is a URL without the password): one machine's leases in the
  // data directory, per database. Drivers on several machines need a lease in the database itself.
  return join(dataDir(), 'drivers', shortHash(storeLocation));
}

const folderOf = (root: string, id: string) => join(root, encodeURIComponent(id));

/** Claims the rollout for this process; throws DriverBusy if a live process holds it. Returns the release. */
export function claimDriver(root: string, id: string, token: string = ownerToken()): () => void {
  const folder = folderOf(root, id);
  mkdirSync(root, { recursive: true });
  for (let attempt = 0; attempt < 5; attempt++) {
    // Written aside, then renamed into place: a lease folder is never seen without its token, and
    // of two processes claiming at once the second rename fails.
    const draft = `${folder}.${process.pid}-${randomBytes(4).toString('hex')}`;
    mkdirSync(draft);
    writeFileSync(join(draft, 'owner'), token);
    try {
      renameSync(draft, folder);
      return () => {
        if (ownerIn(folder) === token) rmSync(folder, { recursive: true, force: true });
      };
    } catch (error) {
      rmSync(draft, { recursive: true, force: true });
      if (!['ENOTEMPTY', 'EEXIST'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
      const owner = ownerIn(folder);
      if (owner !== undefined && owner !== token && isOwnerAlive(owner)) throw new DriverBusy(id, owner);
      // A dead driver's lease (or this process's own, from an earlier drive).
      rmSync(folder, { recursive: true, force: true });
    }
  }
  throw new Error(`rollout ${id}: cannot claim its lease in ${root}`);
}

/** The live process driving the rollout, if any. */
export function driverOf(root: string, id: string): string | undefined {
  const owner = ownerIn(folderOf(root, id));
  return owner !== undefined && isOwnerAlive(owner) ? owner : undefined;
}

function ownerIn(folder: string): string | undefined {
  try {
    return readFileSync(join(folder, 'owner'), 'utf8') || undefined;
  } catch {
    return undefined;
  }
}
