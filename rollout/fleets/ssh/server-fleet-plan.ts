import type { InventoryHost } from '../../../lab/inventory/inventory.ts';

/** What a ring does after its hosts are patched: a server is rebooted never, only when a package asks for it, or always. */
export const REBOOT_POLICIES = ['never', 'if-required', 'always'] as const;

export type RebootPolicy = (typeof REBOOT_POLICIES)[number];

/** How long the SSH fleet waits for what it does not control, in ms. */
export interface ServerWaits {
  /** Another apt or dpkg holds the lock: wait this long, then fail the host. */
  lockWaitMs: number;
  /** A server that stops answering mid-work is lost once it has not answered for this long. */
  lostAfterMs: number;
  /** A rebooted server must answer ssh again within this. */
  rebootTimeoutMs: number;
}

export const DEFAULT_WAITS: ServerWaits = { lockWaitMs: 300_000, lostAfterMs: 60_000, rebootTimeoutMs: 600_000 };

/**
 * A fleet of a team's own servers, as a rollout stores it: plain data, so a resumed rollout
 * reaches the same servers in the same way even if the inventory file changed since.
 */
export interface ServerFleetPlan {
  /** The inventory file, absolute; for people and messages. */
  inventory: string;
  /** ssh -F, absolute; unset: the user's own ssh config. */
  sshConfig?: string;
  /** The inventory's hosts as they were when the rollout started. */
  servers: InventoryHost[];
  waits: ServerWaits;
}
