import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PlanMemo, type PlanMemoKey } from '../../lab/patches/plan-memo.ts';

const dirs: string[] = [];
function memoDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'patchlab-memo-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const key: PlanMemoKey = { installed: 'a'.repeat(64), lists: 'lists/0123abcd', refreshedAt: 1_700_000_000_000, question: 'discover' };

describe('PlanMemo', () => {
  it('gives back what was remembered for exactly the same image, lists, refresh and question', () => {
    const dir = memoDir();
    const memo = new PlanMemo(dir);
    memo.remember(key, [{ name: 'tzdata', candidate: '2026f-0+deb12u1' }]);
    expect(memo.recall(key)).toEqual([{ name: 'tzdata', candidate: '2026f-0+deb12u1' }]);
    // Another process reads the same folder.
    expect(new PlanMemo(dir).recall({ ...key, question: 'discover' })).toEqual([{ name: 'tzdata', candidate: '2026f-0+deb12u1' }]);
  });

  it('knows nothing for another refresh of the lists, another image, or another question', () => {
    const memo = new PlanMemo(memoDir());
    memo.remember(key, 'answer');
    expect(memo.recall({ ...key, refreshedAt: key.refreshedAt + 1 })).toBeUndefined();
    expect(memo.recall({ ...key, installed: 'b'.repeat(64) })).toBeUndefined();
    expect(memo.recall({ ...key, lists: 'lists/ffff' })).toBeUndefined();
    expect(memo.recall({ ...key, question: { fetch: [{ name: 'tzdata', version: '2026f-0+deb12u1' }] } })).toBeUndefined();
  });

  it('takes a torn or foreign file for no answer', () => {
    const dir = memoDir();
    const memo = new PlanMemo(dir);
    memo.remember(key, 'answer');
    const [file] = readdirSync(dir);
    writeFileSync(join(dir, file ?? ''), '{"key": {"installed"');
    expect(memo.recall(key)).toBeUndefined();
    writeFileSync(join(dir, file ?? ''), JSON.stringify({ key: { ...key, question: 'other' }, answer: 'wrong' }));
    expect(memo.recall(key)).toBeUndefined();
  });

  it('removes answers older than a day when it writes a new one', () => {
    const dir = memoDir();
    let now = Date.now();
    const memo = new PlanMemo(dir, () => now);
    memo.remember(key, 'old');
    const [file] = readdirSync(dir);
    const twoDaysAgo = (now - 2 * 86_400_000) / 1000;
    utimesSync(join(dir, file ?? ''), twoDaysAgo, twoDaysAgo);
    now += 1000;
    memo.remember({ ...key, question: 'newer' }, 'new');
    expect(memo.recall(key)).toBeUndefined();
    expect(memo.recall({ ...key, question: 'newer' })).toBe('new');
    expect(readdirSync(dir)).toHaveLength(1);
  });
});
