import { afterEach, beforeEach } from 'vitest';

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
  /**
   * A database as an older patchlab left it: migrated up to just before the first migration whose
   * SQL holds `marker`, with these rows written to `table` as that schema had them; open() migrates
   * the rest, as a newer patchlab does on first use. A harness over another's database (the job
   * queue's) leaves the migrations to that database's own harness.
   */
  createBefore?(marker: string, table: string, rows: readonly Record<string, string | number | null>[]): Promise<TestDatabase<S>>;
}

/**
 * A fresh database and a client of it for each test, both removed after it; `set` hands them to
 * the suite, and `current` says which client to close (a test may close it and open another).
 */
export function freshEach<S extends { close(): Promise<void> }>(harness: StoreHarness<S>, set: (store: S, db: TestDatabase<S>) => void, current: () => S): void {
  let opened: { store: S; db: TestDatabase<S> } | undefined;
  beforeEach(async () => {
    const db = await harness.create();
    opened = { store: await db.open(), db };
    set(opened.store, opened.db);
  });
  afterEach(async () => {
    await current().close();
    await opened?.db.dispose();
  });
}

/** freshEach for a suite that needs only the client: call the getter inside a test for that test's. */
export function freshStoreEach<S extends { close(): Promise<void> }>(harness: StoreHarness<S>): () => S {
  let store: S;
  freshEach(
    harness,
    (s) => {
      store = s;
    },
    () => store,
  );
  return () => store;
}
