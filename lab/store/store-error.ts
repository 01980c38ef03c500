export type StoreErrorCode = 'not-found' | 'duplicate' | 'stale' | 'invalid' | 'newer-schema';

/** A refusal the caller can act on: 'not-found' and 'duplicate' map to 404 and 409, 'stale' means load again. */
export class StoreError extends Error {
  override name = 'StoreError';
  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(message);
  }
}
