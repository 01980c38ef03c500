/**
 * Reads a Debian changelog (policy 4.4, deb-changelog(5)) into its entries, newest first, with
 * what a security review wants from each: CVE ids, DSA/DLA ids, the bugs it closes, its urgency.
 * Pure: the text comes from a .deb (deb-changelog.ts) or a fixture.
 */

export const URGENCIES = ['low', 'medium', 'high', 'emergency', 'critical'] as const;
export type Urgency = (typeof URGENCIES)[number];

export interface ChangelogEntry {
  source: string;
  version: string;
  distributions: string[];
  /** Absent when the header names none, or a word policy does not know (then `urgencyText` has it). */
  urgency?: Urgency;
  urgencyText?: string;
  /** From the trailer line; absent when the entry has none. */
  maintainer?: string;
  date?: string;
  cves: string[];
  dsas: string[];
  dlas: string[];
  /** Debian bug numbers from "Closes: #NNN, #MMM". */
  bugs: number[];
  /** 1-based line of the header, for messages that point into the file. */
  line: number;
}

export interface ParsedChangelog {
  entries: ChangelogEntry[];
  /** Why reading stopped before the end of the text (old formats, editor trailers, a malformed line). */
  stoppedAt?: { line: number; reason: string };
}

export class ChangelogError extends Error {
  override name = 'ChangelogError';
}

// dpkg's own patterns (Dpkg::Changelog::Entry::Debian): header and trailer.
const HEADER = /^(\w[-+0-9a-z.]*) \(([^() \t]+)\)((?:\s+[-+0-9a-z.]+)+);(.*?)\s*$/i;
const TRAILER = /^ -- (.*) <(.*)>( ?)( ?)(.*)$/;
// Policy 4.4: the bug-closing pattern, over the whole entry text so a list may wrap lines.
const CLOSES = /closes:\s*(?:bug)?#?\s?\d+(?:,\s*(?:bug)?#?\s?\d+)*/gi;
const CVE = /\bCVE-\d{4}-\d{4,}\b/g;
const DSA = /\bDSA-\d+-\d+\b/g;
const DLA = /\bDLA-\d+-\d+\b/g;
// Where changelogs end the part in today's format: old formats, editor settings, a truncation note ("# Older entries have been removed").
const END_MARKERS = /^(?:local variables:|old changelog:|#|vim:)/i;

/** `where` names the file in an error: the .deb and the path inside it. */
export function parseChangelog(text: string, where = 'changelog'): ParsedChangelog {
  const lines = text.split(/\r?\n/);
  const entries: ChangelogEntry[] = [];
  let current: { entry: ChangelogEntry; body: string[] } | undefined;
  const finish = () => {
    if (current) entries.push(withReferences(current.entry, current.body.join('\n')));
    current = undefined;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const header = HEADER.exec(line);
    if (header) {
      finish();
      current = { entry: entryFrom(header, i + 1), body: [] };
      continue;
    }
    if (line.trim() === '') continue;
    const trailer = TRAILER.exec(line);
    if (trailer && current) {
      current.entry.maintainer = `${trailer[1]} <${trailer[2]}>`;
      current.entry.date = (trailer[5] ?? '').trim();
      continue;
    }
    if (/^\s/.test(line) && current) {
      current.body.push(line);
      continue;
    }
    if (!current) {
      throw new ChangelogError(
        `${where}, line ${i + 1}: expected an entry header "package (version) distribution; urgency=...", got ${JSON.stringify(line.slice(0, 80))}`,
      );
    }
    finish();
    const reason = END_MARKERS.test(line) ? 'end of the entries in the current format' : `not an entry header nor an indented line: ${JSON.stringify(line.slice(0, 80))}`;
    return { entries, stoppedAt: { line: i + 1, reason } };
  }
  finish();
  if (entries.length === 0) throw new ChangelogError(`${where}: expected at least one entry "package (version) distribution; urgency=...", found none`);
  return { entries };
}

function entryFrom(header: RegExpExecArray, line: number): ChangelogEntry {
  const [, source = '', version = '', distributions = '', metadata = ''] = header;
  const urgencyText = /(?:^|[\s,])urgency=([^\s,]+)/i.exec(metadata)?.[1];
  const urgency = urgencyText?.toLowerCase();
  return {
    source,
    version,
    distributions: distributions.trim().split(/\s+/),
    ...(urgency && (URGENCIES as readonly string[]).includes(urgency) ? { urgency: urgency as Urgency } : {}),
    ...(urgencyText ? { urgencyText } : {}),
    cves: [],
    dsas: [],
    dlas: [],
    bugs: [],
    line,
  };
}

function withReferences(entry: ChangelogEntry, body: string): ChangelogEntry {
  const bugs = [...body.matchAll(CLOSES)].flatMap((m) => [...m[0].matchAll(/\d+/g)].map((d) => Number(d[0])));
  return {
    ...entry,
    cves: unique(body.match(CVE) ?? []),
    dsas: unique(body.match(DSA) ?? []),
    dlas: unique(body.match(DLA) ?? []),
    bugs: unique(bugs),
  };
}

export function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}
