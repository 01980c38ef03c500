import type { HostScanStore } from '../lab/inventory/scan/scan-store.ts';
import type { Store } from '../rollout/store/store.ts';
import type { LoginThrottle } from './auth/login-throttle.ts';
import type { UserStore } from './auth/user-store.ts';
import type { PatchAdvisories } from './model/patch-advisories.ts';
import type { PatchDiscovery } from './services/patch-discovery.ts';
import type { EngineWait } from './model/waiting.ts';

/** What the routes share: the stores, the clock and the settings, injected so tests can set each. */
export interface WebContext {
  store: Store;
  users: UserStore;
  discovery: PatchDiscovery;
  /** The latest inventory scans, for the hosts the API lists; none without an inventory. */
  hostScans?: HostScanStore;
  /** What a rollout's patch fixes, read once per set of versions: for its page and the API. */
  advisories: PatchAdvisories;
  throttle: LoginThrottle;
  now: () => number;
  /** How often live parts of a page ask for news. */
  pollMs: number;
  /** Largest request body accepted; anything bigger is refused with 413 before it is read. */
  bodyLimitBytes: number;
  /** A rollout's host steps queued for an engine no live worker is on (none without workers). */
  workerWaits: (rolloutId: string, at: number) => Promise<readonly EngineWait[]>;
  /** Where unexpected errors go, with their stack; the client only hears that something failed. */
  log: (message: string) => void;
}
