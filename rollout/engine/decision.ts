/** The numbers behind a decision, flat so they store as one JSON column and print as a table. */
export type Figures = Record<string, number | string | boolean | null>;

export interface HostFailureReport {
  hostId: string;
  reason: string;
}

interface Base {
  /** Index of the ring the decision is about. */
  ring: number;
  /** Why, in sentences a release manager reads; never empty. */
  reasons: string[];
  figures: Figures;
}

/**
 * What the engine wants done next. Every variant carries absolute values (which hosts, which
 * ring to move to), so applying a decision twice changes nothing the second time.
 */
export type Decision =
  | (Base & { action: 'patch-hosts'; hosts: string[] })
  | (Base & { action: 'hold' })
  | (Base & { action: 'promote'; toRing: number })
  | (Base & { action: 'pause'; failures: HostFailureReport[] })
  | (Base & { action: 'rollback'; hosts: string[]; failures: HostFailureReport[] })
  | (Base & { action: 'await-approval' })
  | (Base & { action: 'complete' });

export type DecisionAction = Decision['action'];
