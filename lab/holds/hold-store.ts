import type { Hold } from './holds.ts';

/** One hold set or lifted, for the audit log of holds. */
export interface HoldEvent {
  pattern: string;
  action: 'hold' | 'lift';
  by: string;
  reason: string;
  at: number;
}

/** Holds set from the page, the API or the CLI, and the record of every change to them. */
export interface HoldStore {
  /** By pattern. */
  listHolds(): Promise<Hold[]>;
  /** Setting a pattern already held replaces its reason; both are recorded. */
  addHold(hold: Omit<Hold, 'source'>): Promise<void>;
  /** False when the pattern was not held. */
  liftHold(pattern: string, by: string, reason: string, at: number): Promise<boolean>;
  /** Oldest first. */
  holdEvents(): Promise<HoldEvent[]>;
}
