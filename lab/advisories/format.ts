import type { SourceAdvisory } from './advisory.ts';

/** Short texts of advisories for the terminal. Pure. */

export function advisoryOf(advisories: readonly SourceAdvisory[], binary: string): SourceAdvisory | undefined {
  return advisories.find((a) => a.binaries.some((b) => b.name === binary));
}

/** One table cell: CVE count and urgency, or why there is none. */
export function advisoryCell(advisory: SourceAdvisory | undefined): string {
  if (!advisory) return '-';
  if (!advisory.changelogFrom) return /not in the package cache/.test(advisory.severity.basis) ? 'not cached' : 'no changelog';
  const cves = advisory.cves.length === 0 ? 'no CVE' : `${advisory.cves.length} CVE`;
  return `${cves}, ${advisory.urgency ?? 'no urgency'}`;
}

/** A line per source package, the ids it names, and where its severity came from. */
export function advisoryLines(advisories: readonly SourceAdvisory[]): string[] {
  if (advisories.length === 0) return [];
  return [
    'advisories (read from each package\'s changelog):',
    ...advisories.map((a) => {
      const ids = [...a.cves, ...a.dsas, ...a.dlas];
      const shown = ids.length > 6 ? `${ids.slice(0, 6).join(' ')} +${ids.length - 6} more` : ids.join(' ');
      return `  ${a.source} ${a.installed} -> ${a.candidate}: ${a.severity.level}${shown ? `  ${shown}` : ''}  (${a.severity.basis})`;
    }),
  ];
}
