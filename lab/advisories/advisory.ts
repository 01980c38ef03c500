import { unique, type ChangelogEntry, type ParsedChangelog, type Urgency } from './changelog.ts';
import { compareDebianVersions, DebianVersionError } from './debian-version.ts';

/**
 * What one source package's pending update fixes, as its own changelog says: the entries newer
 * than the installed version and the ids they name. Pure.
 */

export interface UpdatedBinary {
  name: string;
  installed: string;
  candidate: string;
}

export type SeverityLevel = 'critical' | 'high' | 'medium' | 'low' | 'unknown';

export interface Severity {
  level: SeverityLevel;
  /** Where the level came from, in words a reviewer can check: it is never guessed. */
  basis: string;
}

export interface AdvisoryLink {
  id: string;
  url: string;
}

export interface SourceAdvisory {
  source: string;
  binaries: UpdatedBinary[];
  /** The oldest installed version among the binaries: entries are counted from there. */
  installed: string;
  candidate: string;
  /** Where the changelog was read: "<file.deb>:<path inside>"; absent when no changelog was found. */
  changelogFrom?: string;
  /** Entries newer than `installed`, newest first. */
  entries: ChangelogEntry[];
  cves: string[];
  dsas: string[];
  dlas: string[];
  bugs: number[];
  /** The highest urgency of the new entries. */
  urgency?: Urgency;
  severity: Severity;
  links: AdvisoryLink[];
  /** What could not be read, and why. */
  notes: string[];
}

export const NO_CHANGELOG = 'no changelog in the package';
const TRACKER = 'https://security-tracker.debian.org/tracker/';
const URGENCY_RANK: Record<Urgency, number> = { low: 1, medium: 2, high: 3, emergency: 4, critical: 4 };
const LEVEL_OF: Record<Urgency, SeverityLevel> = { low: 'low', medium: 'medium', high: 'high', emergency: 'critical', critical: 'critical' };

/**
 * The entries an upgrade from `installed` brings, as apt-listchanges counts them: from the top
 * down to the first entry that is not newer than the installed version.
 */
export function entriesNewerThan(parsed: ParsedChangelog, installed: string): { entries: ChangelogEntry[]; notes: string[] } {
  const entries: ChangelogEntry[] = [];
  for (const entry of parsed.entries) {
    let newer: boolean;
    try {
      newer = compareDebianVersions(entry.version, installed) > 0;
    } catch (error) {
      if (!(error instanceof DebianVersionError)) throw error;
      return { entries, notes: [`changelog line ${entry.line}: ${error.message}; stopped reading there`] };
    }
    if (!newer) return { entries, notes: [] };
    entries.push(entry);
  }
  // Ran out of entries before reaching the installed version: say why, if the parser stopped early.
  const stopped = parsed.stoppedAt;
  return { entries, notes: stopped ? [`changelog read up to line ${stopped.line} (${stopped.reason}); it has no entry for ${installed} before that`] : [] };
}

/** Groups binaries by source and picks the version span the advisory covers. */
export function spanOf(binaries: readonly UpdatedBinary[]): { installed: string; candidate: string } {
  const sorted = (versions: string[]) => [...versions].sort(compareDebianVersions);
  return {
    installed: sorted(binaries.map((b) => b.installed))[0] ?? '',
    candidate: sorted(binaries.map((b) => b.candidate)).at(-1) ?? '',
  };
}

export function buildAdvisory(input: {
  source: string;
  binaries: UpdatedBinary[];
  changelog?: { parsed: ParsedChangelog; from: string };
  notes?: string[];
}): SourceAdvisory {
  const span = spanOf(input.binaries);
  const newer = input.changelog ? entriesNewerThan(input.changelog.parsed, span.installed) : { entries: [], notes: [] };
  const entries = newer.entries;
  const cves = unique(entries.flatMap((e) => e.cves)).sort();
  const dsas = unique(entries.flatMap((e) => e.dsas)).sort();
  const dlas = unique(entries.flatMap((e) => e.dlas)).sort();
  const bugs = unique(entries.flatMap((e) => e.bugs)).sort((a, b) => a - b);
  const urgent = entries.filter((e) => e.urgency).sort((a, b) => URGENCY_RANK[b.urgency as Urgency] - URGENCY_RANK[a.urgency as Urgency])[0];
  return {
    source: input.source,
    binaries: input.binaries,
    ...span,
    ...(input.changelog ? { changelogFrom: input.changelog.from } : {}),
    entries,
    cves,
    dsas,
    dlas,
    bugs,
    ...(urgent?.urgency ? { urgency: urgent.urgency } : {}),
    severity: severityOf(input.changelog ? undefined : (input.notes?.[0] ?? NO_CHANGELOG), entries, urgent, cves, [...dsas, ...dlas], span.installed),
    links: [
      ...[...cves, ...dsas, ...dlas].map((id) => ({ id, url: `${TRACKER}${id}` })),
      ...bugs.map((n) => ({ id: `#${n}`, url: `https://bugs.debian.org/${n}` })),
    ],
    notes: [...(input.notes ?? []), ...newer.notes],
  };
}

/** The maintainer's own urgency, mapped to a level; CVE ids are counted in the basis, never turned into a level. */
function severityOf(
  /** Why there is no changelog to judge by; undefined when there is one. */
  noChangelog: string | undefined,
  entries: readonly ChangelogEntry[],
  urgent: ChangelogEntry | undefined,
  cves: readonly string[],
  advisories: readonly string[],
  installed: string,
): Severity {
  if (noChangelog !== undefined) return { level: 'unknown', basis: noChangelog };
  if (entries.length === 0) return { level: 'unknown', basis: `from the package changelog: no entry newer than the installed ${installed}` };
  const ids = [
    ...(cves.length > 0 ? [`${cves.length} CVE id(s)`] : []),
    ...(advisories.length > 0 ? [advisories.join(', ')] : []),
  ];
  const named = ids.length > 0 ? `; names ${ids.join(', ')}` : '; names no CVE id';
  if (!urgent?.urgency) return { level: 'unknown', basis: `from the package changelog: no entry gives an urgency${named}` };
  return {
    level: LEVEL_OF[urgent.urgency],
    basis: `from the package changelog: urgency=${urgent.urgency} in ${urgent.version}${named}`,
  };
}
