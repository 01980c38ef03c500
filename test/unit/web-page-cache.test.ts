import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { giveCommand } from '../../rollout/drive/control.ts';
import { indexObservations } from '../../rollout/engine/observations.ts';
import type { RolloutStore } from '../../rollout/store/rollout-store.ts';
import { openStore } from '../../rollout/store/sqlite-store.ts';
import type { Store } from '../../rollout/store/store.ts';
import { RolloutViews } from '../../web/model/rollout-views.ts';
import { StoredRollouts } from '../../web/model/stored-rollouts.ts';
import { driveModel, storeSnapshot } from './web-fixtures.ts';

/*
 * What the rollout page keeps between requests: each rollout as loaded, handed out again only
 * while the store's version of it is the same (whoever wrote it: here a second client of the same
 * SQLite file, as a driver process beside `serve` is), and each view for a second of the clock.
 */

let dir: string;
let store: Store;
/** Another process's client of the same database: its writes are not seen by any memory of the first. */
let other: Store;
let id: string;
let loads: number;
let failNextLoad: boolean;

/** The store as the page reads it, counting the loads (each one a parse of the whole state). */
const counted = (): Pick<RolloutStore, 'rolloutVersion' | 'loadRollout'> => ({
  rolloutVersion: (rolloutId) => store.rolloutVersion(rolloutId),
  loadRollout: async (rolloutId) => {
    loads++;
    if (failNextLoad) {
      failNextLoad = false;
      throw new Error('database is locked');
    }
    return store.loadRollout(rolloutId);
  },
});

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'patchlab-page-cache-'));
  store = openStore(join(dir, 'patchlab.db'));
  other = openStore(join(dir, 'patchlab.db'));
  id = await storeSnapshot(store, driveModel((lab) => lab.state.rings[0]!.soakStartedAt !== null));
  loads = 0;
  failNextLoad = false;
});

afterEach(async () => {
  await store.close();
  await other.close();
  rmSync(dir, { recursive: true, force: true });
});

const command = (name: 'pause' | 'resume', at: number) => giveCommand(other, id, { name, actor: 'alice', reason: `INC-${at}` }, () => at);

describe('StoredRollouts', () => {
  it('parses a rollout once per stored version, and again once another process wrote it', async () => {
    const rollouts = new StoredRollouts(counted());
    const first = await rollouts.load(id);
    expect(await rollouts.load(id)).toBe(first);
    expect(await rollouts.load(id)).toBe(first);
    expect(loads).toBe(1);

    await command('pause', first!.updatedAt + 1_000);
    const after = await rollouts.load(id);
    expect(after).not.toBe(first);
    expect([after?.seq, after?.state.phase, loads]).toEqual([first!.seq + 1, 'paused', 2]);
    expect(after).toEqual(await other.loadRollout(id));
  });

  it('shares one load among requests that arrive together, and says there is none for an unknown rollout', async () => {
    const rollouts = new StoredRollouts(counted());
    const together = await Promise.all(Array.from({ length: 5 }, () => rollouts.load(id)));
    expect(new Set(together).size).toBe(1);
    expect(loads).toBe(1);
    expect(await rollouts.load('no-such-rollout')).toBeUndefined();
    expect(loads).toBe(1);
  });

  it('keeps no failed load: the next request loads again', async () => {
    const rollouts = new StoredRollouts(counted());
    failNextLoad = true;
    await expect(rollouts.load(id)).rejects.toThrow('database is locked');
    expect((await rollouts.load(id))?.id).toBe(id);
    expect(loads).toBe(2);
  });

  it('keeps the rollouts looked at most recently, up to its capacity', async () => {
    const rollouts = new StoredRollouts(counted(), 1);
    const snapshot = driveModel((lab) => lab.state.rings[0]!.soakStartedAt !== null);
    const second = await storeSnapshot(store, snapshot, 'scenarios/demo.yaml', 'rollout-second');
    await rollouts.load(id);
    await rollouts.load(second);
    await rollouts.load(id);
    expect(loads).toBe(3);
  });
});

describe('RolloutViews', () => {
  it('works a view out once a second for the same record and checks, and afresh when either or the second changes', async () => {
    const rollouts = new StoredRollouts(store);
    const views = new RolloutViews();
    const record = (await rollouts.load(id))!;
    const index = indexObservations(await store.observations(id));
    const start = Math.ceil(record.state.rings[0]!.soakStartedAt! / 1000) * 1000 + 1000;

    const first = views.of(record, index, start + 100);
    const sameSecond = views.of(record, index, start + 900);
    expect(sameSecond).toBe(first);
    // The page shows the time the view was worked out for.
    expect(sameSecond.now).toBe(start + 100);

    const nextSecond = views.of(record, index, start + 1_100);
    expect(nextSecond.view).not.toBe(first.view);
    expect(nextSecond.now).toBe(start + 1_100);
    // The soak counts on with the clock.
    const soak = (v: typeof first) => v.view.rings[0]!.soak!.elapsedMs;
    expect(soak(nextSecond) - soak(first)).toBe(1_000);

    const moreChecks = indexObservations(await store.observations(id));
    expect(views.of(record, moreChecks, start + 1_200).view).not.toBe(nextSecond.view);

    await command('pause', start + 1_300);
    const paused = (await rollouts.load(id))!;
    expect(views.of(paused, moreChecks, start + 1_400).view.state.phase).toBe('paused');
  });
});
