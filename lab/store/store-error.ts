export type StoreErrorCode = 'not-found' | 'duplicate' | 'stale' | 'invalid' | 'newer-schema' | 'fenced';

/** A refusal the caller can act on: 'not-found' and 'duplicate' map to 404 and 409, 'stale' means load again, 'fenced'
 * that another process has taken over the rollout's lease: the writer must stop. */
export class StoreError extends Error {
  override name = 'StoreError';
  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(message);
  }
}
