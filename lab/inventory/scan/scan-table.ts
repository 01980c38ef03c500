import { pendingCounts, type HostScan } from './host-scan.ts';

/** "just now", "5 min", "3 h", "2 d": how old a scan is. Pure. */
export function age(scannedAt: string, now: number): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(scannedAt)) / 1000));
  if (seconds < 60) return 'just now';
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h`;
  return `${Math.floor(seconds / 86_400)} d`;
}

const HEADER = ['host', 'groups', 'suite', 'kernel', 'security', 'other', 'reboot', 'scanned', 'note'];

/**
 * The inventory as a table: one row a host, its latest scan's figures, or the reason it could
 * not be scanned. `never` marks an inventory host without a scan. Pure.
 */
export function scanTable(scans: readonly HostScan[], now: number, unscanned: readonly { name: string; groups: string[] }[] = []): string {
  const rows = scans.map((s) => {
    const counts = pendingCounts(s);
    // Each reason's message names it in words ("sudo refused on ...", "... is unreachable: ..."); the word itself is in the JSON.
    const note = s.error ? s.error.message : staleNote(s) ?? s.warnings[0] ?? '';
    return [
      s.host,
      s.groups.join(',') || '-',
      s.suite ?? '-',
      s.kernel ?? '-',
      counts ? String(counts.security) : '-',
      counts ? String(counts.other) : '-',
      s.rebootRequired === undefined ? '-' : s.rebootRequired ? 'yes' : 'no',
      age(s.scannedAt, now),
      note.split('\n')[0] ?? '',
    ];
  });
  for (const h of unscanned) rows.push([h.name, h.groups.join(',') || '-', '-', '-', '-', '-', '-', 'never', '']);
  const widths = HEADER.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  // The note is last and left as long as it is: a reason must not be cut.
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(HEADER), ...rows.map(line)].join('\n');
}

function staleNote(s: HostScan): string | undefined {
  if (!s.stale) return undefined;
  const names = s.stale.services.length > 0 ? s.stale.services : [...new Set(s.stale.processes.map((p) => p.command || String(p.pid)))];
  return names.length > 0 ? `running replaced libraries: ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', ...' : ''}` : undefined;
}
