/** One throwaway database of an implementation under test, and how to open clients to it. */
export interface TestDatabase<S> {
  /** A new client of the same database (a second process, a CLI beside `serve`). */
  open(): Promise<S & { close(): Promise<void> }>;
  /** Removes the database and everything in it. */
  dispose(): Promise<void>;
}

/** What a contract test needs from an implementation: fresh databases, and its words for a broken constraint. */
export interface StoreHarness<S> {
  create(): Promise<TestDatabase<S>>;
  /** How the implementation's error reads when a row breaks a constraint of the schema. */
  constraintFailure: RegExp;
}
