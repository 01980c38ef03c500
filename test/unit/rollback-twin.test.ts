import { describe, expect, it } from 'vitest';
import { transactionDifference } from '../../lab/run/prove-patch.ts';

/* A lab run's rollback twin proves the rollback only when it got the patched host's transaction. */
const tz = { name: 'tzdata', before: '2026b-0+deb12u1', after: '2026f-0+deb12u1' };
const added = { name: 'patchlab-nginx-tuning', after: '1.0' };

describe('the rollback twin must get the transaction the patched host got', () => {
  it('accepts the same changes in any order', () => {
    expect(transactionDifference({ ok: true, changes: [tz, added] }, { ok: true, changes: [added, tz] })).toBeUndefined();
    expect(transactionDifference({ ok: false, changes: [added] }, { ok: false, changes: [added] })).toBeUndefined();
  });

  it('names a package moved to another version, or only on one host', () => {
    const other = { ...tz, after: '2026e-0+deb12u1' };
    expect(transactionDifference({ ok: true, changes: [tz, added] }, { ok: true, changes: [other] })).toBe(
      'only on the patched host: tzdata (2026f-0+deb12u1 instead of 2026b-0+deb12u1), patchlab-nginx-tuning (1.0 instead of absent); only on the twin: tzdata (2026e-0+deb12u1 instead of 2026b-0+deb12u1)',
    );
  });

  it('says which host the install failed on', () => {
    expect(transactionDifference({ ok: true, changes: [tz] }, { ok: false, changes: [] })).toBe('the install succeeded on the patched host and failed on the twin');
  });
});
