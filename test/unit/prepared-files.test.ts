import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../lab/images/hash.ts';
import { forgetUnusedPreparedFiles, keepMirrorlessFiles, mirrorlessPaths, preparedFilesKeepFrom, takeMirrorlessFiles } from '../../lab/jobs/prepared-files.ts';
import { localPathOf } from '../../lab/patches/pinned-files.ts';
import { useJobDatabase } from '../contract/job-database-fixture.ts';

/*
 * The bytes of pinned files no mirror has, carried between workers' caches by a real PostgreSQL
 * database (a throwaway cluster): only a mirrorless file is kept, each once, and a cache takes
 * back exactly the pinned bytes, or nothing.
 */
const scratch = mkdtempSync(join(tmpdir(), 'patchlab-prepared-files-'));
const LOCAL = '/var/cache/patchlab/local/0123abcd_patchlab-hotfix_1.0-1_all.deb';
const ARCHIVE = '/var/cache/patchlab/archives/tzdata_2025b-0+deb12u1_all.deb';
const fixture = useJobDatabase();

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

function cacheWith(name: string, files: Record<string, Buffer>): string {
  const root = join(scratch, name);
  for (const [path, bytes] of Object.entries(files)) {
    mkdirSync(dirname(localPathOf(root, path)), { recursive: true });
    writeFileSync(localPathOf(root, path), bytes);
  }
  return root;
}

describe('pinned files no mirror has, through the database', () => {
  const hotfix = Buffer.from('!<arch>\nnot on any mirror\n');
  const archive = Buffer.from('a mirror has this one');
  const pins = { [LOCAL]: sha256(hotfix), [ARCHIVE]: sha256(archive) };

  it('keeps only the mirrorless files, once each, and another cache takes back exactly their pinned bytes', async () => {
    const { pool } = fixture().jobs;
    expect(mirrorlessPaths(pins)).toEqual([LOCAL]);
    const preparer = cacheWith('preparer', { [LOCAL]: hotfix, [ARCHIVE]: archive });
    expect(await keepMirrorlessFiles(pool, preparer, pins, 1)).toEqual([LOCAL]);
    expect(await keepMirrorlessFiles(pool, preparer, pins, 2)).toEqual([LOCAL]);
    expect((await pool.query('SELECT sha256 FROM patchlab_prepared_files')).rows).toEqual([{ sha256: pins[LOCAL] }]);

    const other = cacheWith('other', {});
    expect(await takeMirrorlessFiles(pool, other, pins, 3)).toEqual([LOCAL]);
    expect(readFileSync(localPathOf(other, LOCAL))).toEqual(hotfix);
    // The archive's file is the mirror's to give (the cache fill fetches it), not the database's.
    expect(existsSync(localPathOf(other, ARCHIVE))).toBe(false);
    // Held already: nothing read again.
    expect(await takeMirrorlessFiles(pool, other, pins, 4)).toEqual([]);
  });

  it('refuses to keep a file that is not its pin, and writes no stored bytes that do not hash to their key', async () => {
    const { pool } = fixture().jobs;
    const altered = cacheWith('altered', { [LOCAL]: Buffer.from('other bytes') });
    await expect(keepMirrorlessFiles(pool, altered, pins, 3)).rejects.toThrow(`${LOCAL} has sha256 ${sha256(Buffer.from('other bytes'))}, and the plan pinned ${pins[LOCAL]}`);
    await pool.query('UPDATE patchlab_prepared_files SET bytes = $1 WHERE sha256 = $2', [Buffer.from('tampered'), pins[LOCAL]]);
    const fresh = cacheWith('fresh', {});
    expect(await takeMirrorlessFiles(pool, fresh, pins, 5)).toEqual([]);
    expect(existsSync(localPathOf(fresh, LOCAL))).toBe(false);
  });

  it('forgets a file only once no plan kept it and no worker took it for the keep period, and a rollout that takes it keeps it', async () => {
    const { pool } = fixture().jobs;
    await pool.query('DELETE FROM patchlab_prepared_files');
    const DAY = 24 * 3_600_000;
    const hotfix2 = Buffer.from('!<arch>\nanother hotfix\n');
    const SECOND = '/var/cache/patchlab/local/4567cdef_patchlab-hotfix_2.0-1_all.deb';
    const both = { [LOCAL]: sha256(hotfix), [SECOND]: sha256(hotfix2) };
    const preparer = cacheWith('keeper', { [LOCAL]: hotfix, [SECOND]: hotfix2 });
    await keepMirrorlessFiles(pool, preparer, both, 0);
    // A worker of a running rollout takes the first one on day 20: it is in use.
    expect(await takeMirrorlessFiles(pool, cacheWith('day-20', {}), { [LOCAL]: both[LOCAL]! }, 20 * DAY)).toEqual([LOCAL]);
    // An older keep does not move a row back in time.
    await keepMirrorlessFiles(pool, preparer, { [LOCAL]: both[LOCAL]! }, 1);
    expect(await forgetUnusedPreparedFiles(pool, 29 * DAY, 30 * DAY)).toEqual([]);
    expect(await forgetUnusedPreparedFiles(pool, 31 * DAY, 30 * DAY)).toEqual([both[SECOND]]);
    const late = cacheWith('day-31', {});
    expect(await takeMirrorlessFiles(pool, late, both, 31 * DAY)).toEqual([LOCAL]);
    expect(existsSync(localPathOf(late, SECOND))).toBe(false);
  });

  it('reads the keep period from PATCHLAB_PREPARED_FILES_KEEP, and names the variable when it is not a duration', () => {
    expect(preparedFilesKeepFrom({})).toBe(30 * 24 * 3_600_000);
    expect(preparedFilesKeepFrom({ PATCHLAB_PREPARED_FILES_KEEP: '12h' })).toBe(12 * 3_600_000);
    expect(() => preparedFilesKeepFrom({ PATCHLAB_PREPARED_FILES_KEEP: 'a fortnight' })).toThrow(/PATCHLAB_PREPARED_FILES_KEEP: expected .*, got "a fortnight"/);
  });
});
