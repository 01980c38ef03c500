/*
 * CSV as spreadsheets read it (RFC 4180: CRLF between records, a field quoted when it holds a
 * comma, a quote or a line break, its quotes doubled). Host names, groups and scan messages come
 * from inventories and servers, so a cell must never become a formula when opened: one starting
 * with = + - @ (or a tab or carriage return, which some spreadsheets skip before looking) gets a
 * leading apostrophe, as OWASP advises for CSV injection.
 */

const FORMULA_START = /^[=+\-@\t\r]/;

/** One cell, safe for a spreadsheet and quoted as needed. Pure. */
export function csvCell(value: string): string {
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [header, ...rows].map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}
