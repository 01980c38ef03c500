import type { AuditRow } from '../model/audit-log.ts';

/*
 * The audit log as CSV (RFC 4180): a field with a comma, a quote or a line break is quoted and
 * its quotes doubled; lines end in CRLF. A reason is typed by a person and a spreadsheet runs a
 * cell that starts with = + - @ (or a tab or CR) as a formula, so such a cell gets a leading
 * apostrophe, as OWASP advises for CSV meant to be opened in one. Pure.
 */

export const AUDIT_CSV_COLUMNS = ['time', 'rollout', 'entry', 'ring', 'action', 'actor', 'reasons', 'hosts', 'figures'] as const;

export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function auditCsv(rows: readonly AuditRow[]): string {
  const lines = rows.map((row) =>
    [
      new Date(row.at).toISOString(),
      row.rolloutId,
      String(row.index),
      row.ring,
      row.action,
      row.actor,
      // One reason a line, inside the one quoted field.
      row.reasons.join('\n'),
      row.hosts.join(' '),
      Object.keys(row.figures).length > 0 ? JSON.stringify(row.figures) : '',
    ]
      .map(csvField)
      .join(','),
  );
  return [AUDIT_CSV_COLUMNS.join(','), ...lines].map((line) => `${line}\r\n`).join('');
}
