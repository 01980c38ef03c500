/**
 * A patch made ready for a fleet: fetched once into the central cache, with everything a host
 * needs to install it or go back, as plain data so a resumed rollout finds it in the store.
 */
export interface PreparedPatch {
  /** What the engine calls the patch: "3 security updates". */
  name: string;
  /** What a patched host runs; stands for the whole package set. */
  version: string;
  /** What an unpatched host runs. */
  baseVersion: string;
  packages: { name: string; from?: string; to: string }[];
  /** Paths under the cache mount, for one apt-get install. */
  installFiles: string[];
  removals: string[];
  /** dpkg's view of an unpatched host: every host starts from the same image. */
  baseVersions: Record<string, string>;
  /** Extra packages that play a fault on chosen hosts, by fault kind. */
  faultDebs: Partial<Record<'bad-package' | 'latency', string>>;
  /** Updates the request matched but a hold kept back, with who held them and why. */
  held?: string[];
  /**
   * The sha256 of every .deb a host may install (the patch, the versions a rollback puts back, the
   * fault packages), by its path in the cache: every host, whichever cache it reads, installs
   * exactly these bytes. Absent in rollouts stored before files were pinned.
   */
  sha256?: Record<string, string>;
}

/** A fault the real fleet plays on one host. */
export type HostFault =
  | { kind: 'bad-package' }
  | { kind: 'latency'; addMs: number }
  | { kind: 'host-lost' }
  | { kind: 'flaky'; failures: number }
  | { kind: 'disk-full' };
