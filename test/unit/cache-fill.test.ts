import fc from 'fast-check';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sha256 } from '../../lab/images/hash.ts';
import { CACHE_MOUNT } from '../../lab/patches/apt-install.ts';
import { debFileName } from '../../lab/patches/apt-output.ts';
import { archiveDebs, fillPinnedFiles, PinMismatchError } from '../../lab/patches/cache-fill.ts';

/*
 * Which pinned files a worker fetches from the mirror, read back from apt's own file names; and
 * that a cache already holding them asks no mirror. The fill against the real mirror, with real
 * hosts, is test/integration/worker-cache-fill.test.ts.
 */
const name = fc.stringMatching(/^[a-z0-9][a-z0-9+.-]{1,20}$/);
const version = fc.stringMatching(/^([0-9]{1,2}:)?[0-9][A-Za-z0-9.+~-]{0,15}$/);
const arch = fc.constantFrom('amd64', 'all', 'arm64');

describe('the files a worker fetches for a plan', () => {
  it("reads each archive file's package and exact version back from apt's name for it, epoch included", () => {
    fc.assert(
      fc.property(name, version, arch, (n, v, a) => {
        const path = `${CACHE_MOUNT}/archives/${debFileName(n, v, a)}`;
        expect(archiveDebs({ [path]: 'f'.repeat(64) })).toEqual([{ path, name: n, version: v }]);
      }),
    );
  });

  it('leaves out local .debs, which no mirror has', () => {
    expect(archiveDebs({ [`${CACHE_MOUNT}/local/0123456789ab_hotfix_1.0_all.deb`]: 'a'.repeat(64) })).toEqual([]);
  });

  it('asks no mirror when the cache holds every pinned file with its bytes, and refuses other bytes naming both sums', async () => {
    const root = mkdtempSync(join(tmpdir(), 'patchlab-fill-'));
    try {
      const file = debFileName('tzdata', '2025b-0+deb12u1', 'all');
      mkdirSync(join(root, 'archives'));
      writeFileSync(join(root, 'archives', file), 'the pinned bytes');
      const path = `${CACHE_MOUNT}/archives/${file}`;
      const noMirror = () => Promise.reject(new Error('the mirror was asked'));
      expect(await fillPinnedFiles(root, { [path]: sha256(Buffer.from('the pinned bytes')) }, noMirror)).toEqual({ fetched: [] });
      const pin = sha256(Buffer.from('other bytes'));
      const refusal = fillPinnedFiles(root, { [path]: pin }, noMirror);
      await expect(refusal).rejects.toBeInstanceOf(PinMismatchError);
      await expect(refusal).rejects.toThrow(`tzdata (${file}): expected sha256 ${pin}, got ${sha256(Buffer.from('the pinned bytes'))}`);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
