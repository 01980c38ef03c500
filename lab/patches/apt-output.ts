/**
 * Parsers for what apt and dpkg print. Pure, so the odd corners of their output are tested
 * without a container.
 */

export interface PlannedInstall {
  name: string;
  /** Installed version before; absent for a package the patch brings in new. */
  from?: string;
  to: string;
  /** apt's origin text: "Debian-Security:12/oldstable-security". */
  origin: string;
  arch: string;
}

export interface PlannedRemoval {
  name: string;
  version: string;
}

export interface AptPlan {
  installs: PlannedInstall[];
  removals: PlannedRemoval[];
}

const INST = /^Inst (\S+) (?:\[([^\]]+)\] )?\((\S+) (.*?) ?\[([^\]]+)\]\)/;
const REMV = /^Remv (\S+) \[([^\]]+)\]/;

/** Reads `apt-get -s ...` (simulate) output. */
export function parseAptSimulation(text: string): AptPlan {
  const plan: AptPlan = { installs: [], removals: [] };
  for (const line of text.split('\n')) {
    const inst = INST.exec(line);
    if (inst) {
      const [, name = '', from, to = '', origin = '', arch = ''] = inst;
      plan.installs.push({ name, ...(from ? { from } : {}), to, origin: origin.trim(), arch });
      continue;
    }
    const remv = REMV.exec(line);
    if (remv) plan.removals.push({ name: remv[1] ?? '', version: remv[2] ?? '' });
  }
  return plan;
}

export function isSecurityOrigin(origin: string): boolean {
  return /security/i.test(origin);
}

/** Which suite of `suite` a candidate comes from, judged by apt's origin text. */
export function sourceSuite(origin: string, suite: string): string {
  if (isSecurityOrigin(origin)) return `${suite}-security`;
  if (/updates/i.test(origin)) return `${suite}-updates`;
  if (/backports/i.test(origin)) return `${suite}-backports`;
  return suite;
}

/** The file name apt gives a downloaded package: the epoch's colon is escaped as %3a. */
export function debFileName(name: string, version: string, arch: string): string {
  return `${name}_${version.replace(/:/g, '%3a')}_${arch}.deb`;
}

/** Installed packages and versions. */
export type VersionMap = Map<string, string>;

export const DPKG_QUERY_ARGV = ['dpkg-query', '-W', '-f=${binary:Package}\\t${Version}\\t${db:Status-Abbrev}\\n'];

/** Reads DPKG_QUERY_ARGV's output; only fully installed packages count. */
/**
 * dpkg's own account of what failed, each "dpkg: error ..." line joined with the indented line
 * that says why (such as "failed to write (No space left on device)"); undefined when it gave none.
 */
export function dpkgErrors(output: string): string | undefined {
  const lines = output.split('\n');
  const errors = lines.flatMap((line, i) => {
    if (!line.startsWith('dpkg: error')) return [];
    const why = lines[i + 1];
    return [why?.startsWith(' ') ? `${line} ${why.trim()}` : line];
  });
  return errors.length > 0 ? errors.slice(0, 3).join(' / ') : undefined;
}

export function parseDpkgQuery(text: string): VersionMap {
  const versions: VersionMap = new Map();
  for (const line of text.split('\n')) {
    const [pkg, version, status] = line.split('\t');
    if (!pkg || !version || !status?.startsWith('ii')) continue;
    // Multi-arch packages print as name:arch; the lab speaks of names.
    versions.set(pkg.replace(/:(amd64|arm64|i386|all)$/, ''), version);
  }
  return versions;
}

export interface VersionChange {
  name: string;
  before?: string;
  after?: string;
}

/** What changed between two dpkg snapshots: upgrades, downgrades, new and removed packages. */
export function diffVersions(before: VersionMap, after: VersionMap): VersionChange[] {
  const names = new Set([...before.keys(), ...after.keys()]);
  const changes: VersionChange[] = [];
  for (const name of [...names].sort()) {
    const b = before.get(name);
    const a = after.get(name);
    if (b !== a) changes.push({ name, ...(b !== undefined ? { before: b } : {}), ...(a !== undefined ? { after: a } : {}) });
  }
  return changes;
}
