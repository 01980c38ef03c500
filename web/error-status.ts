import { StoreError } from '../lab/store/store-error.ts';
import { RolloutError } from '../rollout/engine/state.ts';
import { UserError } from './auth/user-store.ts';
import { HttpError } from './http.ts';
import { UnknownImageError } from './services/patch-discovery.ts';

/** The one mapping from what went wrong to the HTTP status and the words a client may see. */
export function describeError(error: unknown): [number, string] {
  if (error instanceof HttpError) return [error.status, error.message];
  if (error instanceof RolloutError) return [409, error.message];
  if (error instanceof StoreError) {
    if (error.code === 'not-found') return [404, error.message];
    if (error.code === 'duplicate') return [409, error.message];
  }
  if (error instanceof UnknownImageError) return [404, error.message];
  if (error instanceof UserError) return [error.code === 'invalid' ? 400 : error.code === 'not-found' ? 404 : 409, error.message];
  // body-parser's own refusals carry a status and a type.
  const parser = error as { status?: number; type?: string };
  if (parser.type === 'entity.too.large') return [413, 'the request body is larger than this server accepts'];
  if (typeof parser.status === 'number' && parser.status >= 400 && parser.status < 500) return [parser.status, 'the request could not be read'];
  return [500, 'the server failed to answer this request; the details are in its log'];
}
