import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ExecOptions, ExecResult, Host } from '../../lab/hosts/host.ts';
import { SshHostError } from '../../lab/hosts/ssh/ssh-host.ts';
import type { InventoryHost } from '../../lab/inventory/inventory.ts';
import { parseDeletedMaps, parseNeedrestartBatch, parseOsRelease, type HostScan } from '../../lab/inventory/scan/host-scan.ts';
import { scanHostFacts } from '../../lab/inventory/scan/scan-host.ts';
import { scanInventory } from '../../lab/inventory/scan/scan-inventory.ts';
import { JsonHostScanStore } from '../../lab/inventory/scan/scan-store.ts';
import { age, scanTable } from '../../lab/inventory/scan/scan-table.ts';

// Captured on a bookworm server with bookworm-security and -updates in its sources, 2026-12-07.
const SIMULATION = `NOTE: This is only a simulation!
Reading package lists...
Calculating upgrade...
Inst libpcre2-8-0 [10.42-1] (10.42-1+deb12u1 Debian-Security:12/stable-security [amd64])
Inst tzdata [2024a-0+deb12u1] (2025b-0+deb12u1 Debian:12-updates/stable-updates [all])
Inst libnew1 (1.0-1 Debian:12.13/stable [amd64])
Conf libpcre2-8-0 (10.42-1+deb12u1 Debian-Security:12/stable-security [amd64])
`;
const MAPS = [
  '/proc/412/maps:7f5a1c000000-7f5a1c021000 r-xp 00000000 00:2f 131 /usr/lib/x86_64-linux-gnu/libssl.so.3 (deleted)',
  '/proc/412/maps:7f5a1c021000-7f5a1c030000 r--p 00021000 00:2f 131 /usr/lib/x86_64-linux-gnu/libssl.so.3 (deleted)',
  '/proc/412/maps:7f5a1d000000-7f5a1d001000 rw-s 00000000 00:01 99 /memfd:jit (deleted)',
  '/proc/77/maps:7f00-7f01 r-xp 00000000 00:2f 7 /usr/local/lib/libstale.so.1 (deleted)',
].join('\n');

/** A Host that answers from a script: the first key its command line starts with. */
function scriptedHost(answers: Record<string, Partial<ExecResult>>, seen: string[] = []): Host {
  return {
    id: 'fake', name: 'fake', kind: 'server', address: '192.0.2.1',
    endpoint: (port) => ({ address: '192.0.2.1', port }),
    exec: async (argv: readonly string[], _options?: ExecOptions) => {
      const line = argv.join(' ');
      seen.push(line);
      const key = Object.keys(answers).find((k) => line.startsWith(k));
      return { exitCode: 0, stdout: '', stderr: '', durationMs: 1, timedOut: false, ...(key ? answers[key] : {}) };
    },
    copyIn: async () => undefined,
    copyOut: async () => Buffer.alloc(0),
    snapshot: async () => '',
    stop: async () => undefined,
  };
}

const serverAnswers: Record<string, Partial<ExecResult>> = {
  'cat /etc/os-release': { stdout: 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nVERSION_CODENAME=bookworm\n' },
  'uname -r': { stdout: '6.1.0-28-amd64\n' },
  'dpkg-query': { stdout: 'apt\t2.6.1\tii \nlibc6:amd64\t2.36-9\tii \ngone\t1.0\trc \n' },
  'apt-get -q --error-on=any update': { exitCode: 100, stderr: 'E: Failed to fetch http://archive/dists/bookworm-security/InRelease\n' },
  'apt-get -q -s dist-upgrade': { stdout: SIMULATION },
  'sh -c if [ -e /var/run/reboot-required ]': { stdout: 'required\nlinux-image-6.1.0-29-amd64\nlibc6\nlibc6\n' },
  'sh -c command -v needrestart': { exitCode: 1 },
  "sh -c grep -H -F ' (deleted)'": { stdout: MAPS },
  'sh -c for p; do': { stdout: '77\tsleep\n412\tnginx\n' },
};

describe('server facts', () => {
  it('parse os-release, needrestart batch output and deleted libraries in /proc maps', () => {
    expect(parseOsRelease('NAME="Debian GNU/Linux"\nVERSION_CODENAME=bookworm\n# c\n')).toEqual({ NAME: 'Debian GNU/Linux', VERSION_CODENAME: 'bookworm' });
    expect(parseNeedrestartBatch('NEEDRESTART-VER: 3.6\nNEEDRESTART-KSTA: 3\nNEEDRESTART-SVC: nginx.service\nNEEDRESTART-SVC: ssh.service\n')).toEqual({ services: ['nginx.service', 'ssh.service'], kernelStatus: 3 });
    expect([...parseDeletedMaps(MAPS)]).toEqual([[77, ['/usr/local/lib/libstale.so.1']], [412, ['/usr/lib/x86_64-linux-gnu/libssl.so.3']]]);
  });

  it('come from the server\'s own tools, read-only, with a failed refresh as a warning', async () => {
    const seen: string[] = [];
    const facts = await scanHostFacts(scriptedHost(serverAnswers, seen));
    expect(facts).toMatchObject({ suite: 'bookworm', kernel: '6.1.0-28-amd64', installedPackages: 2, rebootRequired: true, rebootPackages: ['libc6', 'linux-image-6.1.0-29-amd64'] });
    expect(facts.pending).toEqual([
      { name: 'libpcre2-8-0', installed: '10.42-1', candidate: '10.42-1+deb12u1', suite: 'bookworm-security', origin: 'Debian-Security:12/stable-security', security: true },
      { name: 'tzdata', installed: '2024a-0+deb12u1', candidate: '2025b-0+deb12u1', suite: 'bookworm-updates', origin: 'Debian:12-updates/stable-updates', security: false },
    ]);
    expect(facts.stale).toEqual({ method: 'proc-maps', services: [], processes: [
      { pid: 77, command: 'sleep', libraries: ['/usr/local/lib/libstale.so.1'] },
      { pid: 412, command: 'nginx', libraries: ['/usr/lib/x86_64-linux-gnu/libssl.so.3'] },
    ] });
    expect(facts.warnings[0]).toMatch(/^apt-get update failed, pending updates are from the lists as they were: E: Failed to fetch/);
    // Nothing that changes the server: no install, no restart.
    expect(seen.filter((l) => /apt-get (-\S+ )*(install|upgrade|dist-upgrade)/.test(l) && !l.includes(' -s '))).toEqual([]);
  });

  it('ask needrestart, in list-only mode, where it is installed', async () => {
    const seen: string[] = [];
    const facts = await scanHostFacts(scriptedHost({ ...serverAnswers, 'sh -c command -v needrestart': { stdout: '/usr/sbin/needrestart\n' }, 'needrestart -b -r l': { stdout: 'NEEDRESTART-SVC: nginx.service\n' } }, seen), { refreshLists: false });
    expect(facts.stale).toEqual({ method: 'needrestart', services: ['nginx.service'], processes: [] });
    expect(seen.some((l) => l.includes('update'))).toBe(false);
  });
});

const target = (name: string): InventoryHost => ({ name, address: name, groups: ['web'], labels: { group: 'web' } });

describe('inventory scan', () => {
  it('makes an unreachable server a row with its reason, keeps the order, and scans a bounded number at once', async () => {
    let open = 0;
    let most = 0;
    const rows = await scanInventory(
      { file: 'inv.ini', format: 'ansible-ini', groups: {}, hosts: ['a', 'down', 'c', 'd', 'e'].map(target) },
      {
        parallel: 2,
        connect: async (t) => {
          open++;
          most = Math.max(most, open);
          await new Promise((r) => setTimeout(r, 20));
          open--;
          if (t.name === 'down') throw new SshHostError('down', { reason: 'unreachable', detail: 'down is unreachable: Connection refused' });
          return scriptedHost(serverAnswers);
        },
      },
    );
    expect(rows.map((r) => r.host)).toEqual(['a', 'down', 'c', 'd', 'e']);
    expect(rows[1]?.error).toEqual({ reason: 'unreachable', message: 'down is unreachable: Connection refused' });
    expect(rows[0]).toMatchObject({ suite: 'bookworm', groups: ['web'], address: 'a' });
    expect(most).toBe(2);
  });
});

describe('scan store and table', () => {
  const dir = mkdtempSync(join(tmpdir(), 'patchlab-scans-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const scan = (host: string, at: string, extra: Partial<HostScan> = {}): HostScan => ({ host, address: host, groups: ['web', 'prod'], scannedAt: at, durationMs: 5, warnings: [], ...extra });

  it('keeps the latest scan per host, whatever the host name holds', () => {
    const store = new JsonHostScanStore(dir);
    store.save(scan('web/01', '2026-12-07T10:00:00.000Z', { kernel: 'old' }));
    store.save(scan('web/01', '2026-12-07T11:00:00.000Z', { kernel: 'new' }));
    store.save(scan('db01', '2026-12-07T09:00:00.000Z'));
    writeFileSync(join(dir, readdirSync(dir).find((d) => d.startsWith('db01')) as string, '20261207T120000000Z.json'), '{torn');
    expect(store.latest().map((s) => [s.host, s.kernel, s.scannedAt])).toEqual([
      ['db01', undefined, '2026-12-07T09:00:00.000Z'],
      ['web/01', 'new', '2026-12-07T11:00:00.000Z'],
    ]);
    expect(new JsonHostScanStore(join(dir, 'none')).latest()).toEqual([]);
  });

  it('prints host, groups, suite, kernel, pending security and other, reboot, age and the reason of a failure', () => {
    const now = Date.parse('2026-12-07T12:00:00.000Z');
    const pending = [
      { name: 'a', installed: '1', candidate: '2', suite: 'bookworm-security', origin: 'Debian-Security:12', security: true },
      { name: 'b', installed: '1', candidate: '2', suite: 'bookworm-updates', origin: 'Debian:12-updates', security: false },
      { name: 'c', installed: '1', candidate: '2', suite: 'bookworm-security', origin: 'Debian-Security:12', security: true },
    ];
    const table = scanTable(
      [
        scan('web01', '2026-12-07T11:55:00.000Z', { suite: 'bookworm', kernel: '6.1.0-28-amd64', pending, rebootRequired: false }),
        scan('web02', '2026-12-05T11:00:00.000Z', { error: { reason: 'sudo-refused', message: 'sudo refused on web02 for deploy: sudo: a password is required' } }),
      ],
      now,
      [{ name: 'db01', groups: [] }],
    ).split('\n');
    expect(table[0]).toMatch(/^host\s+groups\s+suite\s+kernel\s+security\s+other\s+reboot\s+scanned\s+note$/);
    expect(table[1]).toMatch(/^web01\s+web,prod\s+bookworm\s+6\.1\.0-28-amd64\s+2\s+1\s+no\s+5 min$/);
    expect(table[2]).toMatch(/^web02\s+web,prod\s+-\s+-\s+-\s+-\s+-\s+2 d\s+sudo refused on web02 for deploy/);
    expect(table[3]).toMatch(/^db01\s+-\s+.*never$/);
    expect([age('2026-12-07T11:59:30Z', now), age('2026-12-07T09:00:00Z', now)]).toEqual(['just now', '3 h']);
  });
});
