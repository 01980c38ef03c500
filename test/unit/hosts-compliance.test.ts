import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { groupCompliance, hostCells, hostCompliance } from '../../lab/inventory/scan/compliance.ts';
import { csvCell, toCsv } from '../../lab/inventory/scan/csv.ts';
import { nextFirstSeen } from '../../lab/inventory/scan/first-seen.ts';
import { parseLastUpgrade, type HostScan } from '../../lab/inventory/scan/host-scan.ts';
import { JsonHostScanStore } from '../../lab/inventory/scan/scan-store.ts';
import { hostsPage } from '../../web/views/hosts-page.ts';

const security = (name: string) => ({ name, installed: '1', candidate: '2', suite: 'bookworm-security', origin: 'Debian-Security:12', security: true });
const other = (name: string) => ({ ...security(name), suite: 'bookworm-updates', origin: 'Debian:12-updates', security: false });
const scan = (host: string, at: string, extra: Partial<HostScan> = {}): HostScan => ({ host, address: host, groups: ['web', 'prod'], scannedAt: at, durationMs: 5, warnings: [], ...extra });
const DAY = 86_400_000;

describe('first seen, beside the scans', () => {
  const dir = mkdtempSync(join(tmpdir(), 'patchlab-first-seen-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the first sighting of a package while it stays pending, drops it once it is not, and ignores a failed scan', () => {
    const first = nextFirstSeen({}, scan('web01', '2026-12-01T00:00:00.000Z', { pending: [security('openssl'), other('tzdata')] }));
    expect(first).toEqual({ openssl: '2026-12-01T00:00:00.000Z', tzdata: '2026-12-01T00:00:00.000Z' });
    const failed = nextFirstSeen(first, scan('web01', '2026-12-02T00:00:00.000Z', { error: { reason: 'unreachable', message: 'down' } }));
    expect(failed).toBe(first);
    expect(nextFirstSeen(first, scan('web01', '2026-12-03T00:00:00.000Z', { pending: [security('openssl'), security('libc6')] }))).toEqual({
      openssl: '2026-12-01T00:00:00.000Z',
      libc6: '2026-12-03T00:00:00.000Z',
    });
  });

  it('is kept by the scan store per host, whatever the host name holds', () => {
    const store = new JsonHostScanStore(dir);
    store.save(scan('web/01', '2026-12-01T00:00:00.000Z', { pending: [security('openssl')] }));
    store.save(scan('web/01', '2026-12-05T00:00:00.000Z', { pending: [security('openssl'), security('curl')] }));
    expect(store.firstSeen('web/01')).toEqual({ openssl: '2026-12-01T00:00:00.000Z', curl: '2026-12-05T00:00:00.000Z' });
    expect(store.latest().map((s) => s.scannedAt)).toEqual(['2026-12-05T00:00:00.000Z']);
    expect(store.firstSeen('never-scanned')).toEqual({});
  });
});

describe('last patched, from dpkg.log', () => {
  it('reads the last upgrade line in the server\'s own time zone', () => {
    expect(parseLastUpgrade('+0100\n2026-12-07 10:15:02 upgrade tzdata:all 2024a-0 2025b-0\n')).toBe('2026-12-07T09:15:02.000Z');
    expect(parseLastUpgrade('+0000\n')).toBeUndefined();
    expect(parseLastUpgrade('')).toBeUndefined();
  });
});

describe('compliance per host and per group', () => {
  const now = Date.parse('2026-12-10T12:00:00.000Z');
  const scans = [
    scan('web01', '2026-12-10T11:00:00.000Z', { pending: [security('openssl'), other('tzdata')], rebootRequired: true, lastPatchedAt: '2026-11-20T08:00:00.000Z' }),
    scan('web02', '2026-12-10T11:00:00.000Z', { pending: [other('tzdata')], rebootRequired: false }),
    scan('db01', '2026-12-10T11:00:00.000Z', { groups: ['db', 'prod'], error: { reason: 'sudo-refused', message: 'sudo refused on db01 for deploy' } }),
    scan('=HYPERLINK("http://evil")', '2026-12-10T11:00:00.000Z', { groups: [], pending: [], rebootRequired: false }),
  ];
  const seen: Record<string, Record<string, string>> = { web01: { openssl: '2026-12-03T09:00:00.000Z' } };
  const hosts = hostCompliance(scans, (h) => seen[h] ?? {}, new Map([['web02', Date.parse('2026-12-09T10:00:00.000Z')]]));

  it('tells per host: pending security, the age of the oldest, last patched (dpkg or a rollout), reboot, and what a failed scan cannot tell', () => {
    expect(hosts[0]).toMatchObject({ compliant: false, securityPending: 1, otherPending: 1, oldestSecuritySince: '2026-12-03T09:00:00.000Z', lastPatchedAt: '2026-11-20T08:00:00.000Z', rebootPending: true });
    expect(hostCells(hosts[0]!, now)).toEqual(['web01', 'web, prod', 'no', '1', '1', '2026-12-03 09:00 UTC', '7 d', '2026-11-20 08:00 UTC', 'yes', '2026-12-10 11:00 UTC', '']);
    expect(hosts[1]).toMatchObject({ compliant: true, securityPending: 0, lastPatchedAt: '2026-12-09T10:00:00.000Z' });
    expect(hostCells(hosts[2]!, now)).toEqual(['db01', 'db, prod', 'unknown', 'unknown', 'unknown', 'none', 'none', 'unknown', 'unknown', '2026-12-10 11:00 UTC', 'sudo refused on db01 for deploy']);
  });

  it('sums per group, a host counting in each of its groups', () => {
    expect(groupCompliance(hosts)).toEqual([
      { group: '(no group)', hosts: 1, compliant: 1, securityPending: 0, oldestSecuritySince: null, rebootsPending: 0, unscanned: 0 },
      { group: 'db', hosts: 1, compliant: 0, securityPending: 0, oldestSecuritySince: null, rebootsPending: 0, unscanned: 1 },
      { group: 'prod', hosts: 3, compliant: 1, securityPending: 1, oldestSecuritySince: '2026-12-03T09:00:00.000Z', rebootsPending: 1, unscanned: 1 },
      { group: 'web', hosts: 2, compliant: 1, securityPending: 1, oldestSecuritySince: '2026-12-03T09:00:00.000Z', rebootsPending: 1, unscanned: 0 },
    ]);
    expect(now - Date.parse(groupCompliance(hosts)[3]!.oldestSecuritySince!)).toBeGreaterThan(7 * DAY);
  });

  it('exports CSV a spreadsheet opens as text: quoted where needed, no cell read as a formula', () => {
    expect(['plain', 'a,b', 'say "hi"', 'two\nlines', '=1+1', '+1', '-1', '@SUM(A1)', '\tx'].map(csvCell)).toEqual([
      'plain', '"a,b"', '"say ""hi"""', '"two\nlines"', "'=1+1", "'+1", "'-1", "'@SUM(A1)", "'\tx",
    ]);
    expect(toCsv(['a', 'b'], [["=cmd|' /C calc'!A0", 'x,y']])).toBe(`a,b\r\n'=cmd|' /C calc'!A0,"x,y"\r\n`);
  });

  it('escapes every cell on the page', () => {
    const page = hostsPage(hosts, now, { name: 'victor', role: 'viewer', csrfToken: 't' }).value;
    expect(page).toContain('data-host="=HYPERLINK(&quot;http://evil&quot;)"');
    expect(page).not.toContain('HYPERLINK("http://evil")');
    expect(page).toContain('<a href="/hosts.csv" download>CSV</a>');
  });
});
