import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ownerToken } from '../../lab/hosts/labels.ts';
import { claimDriver, DriverBusy, driverOf } from '../../rollout/drive/driver-lease.ts';

const root = () => mkdtempSync(join(tmpdir(), 'patchlab-lease-'));

describe('rollout driver lease', () => {
  it('lets one live process drive a rollout, refuses a second naming the first, and frees it on release', async () => {
    const dir = root();
    // Another live process holds it: a real one, so its token passes the liveness check.
    const other = spawn('sleep', ['30']);
    try {
      const otherToken = ownerToken(other.pid);
      const releaseOther = claimDriver(dir, 'r1', otherToken);
      expect(driverOf(dir, 'r1')).toBe(otherToken);
      expect(() => claimDriver(dir, 'r1')).toThrow(DriverBusy);
      expect(() => claimDriver(dir, 'r1')).toThrow(new RegExp(`already driven by patchlab process ${other.pid} `));
      releaseOther();
      expect(driverOf(dir, 'r1')).toBeUndefined();
      const release = claimDriver(dir, 'r1');
      expect(driverOf(dir, 'r1')).toBe(ownerToken());
      release();
      expect(driverOf(dir, 'r1')).toBeUndefined();
    } finally {
      other.kill();
    }
  });

  it('takes over the lease of a dead driver, and is not fooled by a reused pid', async () => {
    const dir = root();
    const gone = spawn('true');
    await new Promise((resolve) => gone.on('exit', resolve));
    claimDriver(dir, 'r2', `${ownerToken().split(':')[0]}:${gone.pid}:1`);
    expect(driverOf(dir, 'r2')).toBeUndefined();
    const release = claimDriver(dir, 'r2');
    expect(driverOf(dir, 'r2')).toBe(ownerToken());
    release();
  });

  it('keeps rollouts apart, whatever their ids hold', () => {
    const dir = root();
    const a = claimDriver(dir, '../escape');
    const b = claimDriver(dir, 'other');
    expect(driverOf(dir, '../escape')).toBe(ownerToken());
    expect(driverOf(dir, 'other')).toBe(ownerToken());
    a();
    expect(driverOf(dir, 'other')).toBe(ownerToken());
    b();
  });
});
