import { describe, expect, it } from 'vitest';
import { guardedHost } from '../../lab/hosts/guarded-host.ts';
import type { ExecResult, Host } from '../../lab/hosts/host.ts';
import { packageOfDeb, pinMismatches } from '../../lab/patches/pinned-files.ts';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

describe('pinned package files', () => {
  it('names the package of apt’s file names and of patchlab’s content-addressed local ones', () => {
    expect(packageOfDeb('/var/cache/patchlab/archives/libssl3_3.0.15-1~deb12u1_amd64.deb')).toBe('libssl3');
    expect(packageOfDeb('/var/cache/patchlab/local/0123456789ab_patchlab-nginx-tuning_1.0-1_all.deb')).toBe('patchlab-nginx-tuning');
  });

  it('passes exactly the files whose bytes are the pinned ones, and names every other with expected and got', () => {
    const ok = '/var/cache/patchlab/archives/tzdata_2025b-0+deb12u1_all.deb';
    const changed = '/var/cache/patchlab/archives/libssl3_3.0.15-1~deb12u1_amd64.deb';
    const missing = '/var/cache/patchlab/archives/openssl_3.0.15-1~deb12u1_amd64.deb';
    const unpinned = '/var/cache/patchlab/archives/perl-base_5.36.0-7+deb12u2_amd64.deb';
    const pins = { [ok]: A, [changed]: A, [missing]: A };
    const found = new Map([
      [ok, A],
      [changed, B],
      [unpinned, A],
    ]);
    expect(pinMismatches([ok], pins, found)).toEqual([]);
    expect(pinMismatches([ok, changed, missing, unpinned], pins, found)).toEqual([
      `libssl3 (libssl3_3.0.15-1~deb12u1_amd64.deb): expected sha256 ${A}, got ${B}`,
      `openssl (openssl_3.0.15-1~deb12u1_amd64.deb): expected sha256 ${A}, got no such file`,
      'perl-base (perl-base_5.36.0-7+deb12u2_amd64.deb) is not pinned in the stored plan',
    ]);
  });
});

describe('a guarded host', () => {
  // A stand-in that only records what reached it: the guard's rule needs no Docker engine.
  function recordingHost(calls: string[]): Host {
    const result: ExecResult = { exitCode: 0, stdout: '', stderr: '', timedOut: false, durationMs: 1 };
    return {
      id: 'c1',
      name: 'web-01',
      kind: 'container',
      address: '127.0.0.1',
      endpoint: (port: number) => ({ address: '127.0.0.1', port }),
      exec: async (argv) => (calls.push(argv.join(' ')), result),
      copyIn: async () => void calls.push('copyIn'),
      copyOut: async () => Buffer.from(''),
      snapshot: async () => 'tag',
      stop: async () => void calls.push('stop'),
    };
  }

  it('runs commands while the driver may act, and refuses every one, reaching nothing, once it may not', async () => {
    const calls: string[] = [];
    let may = true;
    const host = guardedHost(recordingHost(calls), () => may, 'fleet host web-01: not touched, the lease may have run out');
    expect((await host.exec(['true'])).exitCode).toBe(0);
    expect(host.name).toBe('web-01');
    expect(host.endpoint(80).port).toBe(80);
    may = false;
    await expect(host.exec(['systemctl', 'restart', 'nginx'])).rejects.toThrow('fleet host web-01: not touched, the lease may have run out');
    await expect(host.copyIn([])).rejects.toThrow(/not touched/);
    await expect(host.stop()).rejects.toThrow(/not touched/);
    expect(calls).toEqual(['true']);
  });
});
