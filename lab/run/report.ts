import type { SourceAdvisory } from '../advisories/advisory.ts';
import { advisoryLines } from '../advisories/format.ts';
import type { VersionChange } from '../patches/apt-output.ts';
import type { CandidatePatch } from '../patches/request.ts';
import { describeLists, type ListsUsed } from '../patches/list-freshness.ts';
import type { Host } from '../hosts/host.ts';
import type { ServiceOutcome } from '../hosts/services.ts';
import type { RebootRecord } from './reboot-step.ts';
import type { ComparedCheck, Verdict } from './verdict.ts';

/** Everything a lab run found, written as report.json: the evidence behind the verdict. */
export interface LabReport {
  runId: string;
  image: { name: string; tag: string };
  hostKind: Host['kind'];
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  verdict: Verdict;
  reasons: string[];
  patch: {
    request: string[];
    packages: { name: string; from?: string; to: string; suite?: string; security?: boolean }[];
    debs: string[];
    downloadedBytes: number;
    reusedFiles: number;
    /** The plan came from an earlier run on the same image and lists, not from apt. Absent in older reports. */
    planReused?: boolean;
    /** The sha256 of each .deb the patch installs or a rollback puts back, by its path in the cache: what every host was held to. Absent in older reports. */
    sha256?: Record<string, string>;
  };
  candidates: CandidatePatch[];
  /** Updates the request matched but a hold kept back, each with who held it and why. */
  held?: string[];
  /** Per source package of the patch's upgrades: what their changelogs say it fixes. Absent in older reports. */
  advisories?: SourceAdvisory[];
  /** The package lists discovery judged by: refreshed by this run, or reused and how old. Absent when the fetcher never started. */
  lists?: ListsUsed;
  install?: { ok: boolean; changes: VersionChange[]; output: string; durationMs: number };
  rollback?: { restored: boolean; remaining: VersionChange[]; reinstalled: string[]; purged: string[]; durationMs: number };
  /** VM hosts only: the patched host's reboot after the patch, and after the rollback. */
  reboot?: RebootRecord;
  rollbackReboot?: RebootRecord;
  services: { baseline?: ServiceOutcome; patched?: ServiceOutcome; afterRollback?: ServiceOutcome };
  checks: ComparedCheck[];
  /** Milliseconds per phase, in the order they ran. */
  timings: Record<string, number>;
  hosts: Record<string, string>;
  /** A run of several hosts per set: which, and the one the patch was applied to. Absent for one host. */
  topology?: { hosts: { name: string; image: string; tag: string }[]; targets: string[] };
}

const escapeXml = (text: string): string =>
  text
    // XML 1.0 has no way to write most control characters, even escaped.
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');

interface Case {
  classname: string;
  name: string;
  seconds: number;
  failure?: string;
  error?: string;
  skipped?: string;
  output?: string;
}

/** JUnit XML for CI systems: a test case per check, plus the install and the rollback. Pure. */
export function junitXml(report: LabReport): string {
  const cases: Case[] = [];
  if (report.install) {
    cases.push({
      classname: 'patch',
      name: 'install',
      seconds: report.install.durationMs / 1000,
      ...(report.install.ok ? {} : { failure: 'the patch did not install' }),
      output: report.install.output,
    });
  }
  for (const c of report.checks) {
    const seconds = (c.patched?.durationMs ?? c.baseline?.durationMs ?? 0) / 1000;
    const base: Case = { classname: `check.${c.kind}`, name: c.name, seconds };
    if (c.comparison === 'broken-by-patch') base.failure = `broken by the patch: ${c.patched?.message ?? ''}`;
    else if (c.comparison === 'check-error') base.error = (c.baseline ?? c.patched)?.message ?? 'no result';
    else if (c.comparison === 'already-broken') base.skipped = `already broken before the patch: ${c.baseline?.message ?? ''}`;
    else if (c.comparison === 'skipped') base.skipped = (c.patched ?? c.baseline)?.message ?? 'skipped';
    cases.push(base);
  }
  for (const [name, reboot] of [['reboot', report.reboot], ['reboot after rollback', report.rollbackReboot]] as const) {
    if (!reboot) continue;
    const wrongKernel = reboot.ok && reboot.expectedKernel && reboot.kernel !== reboot.expectedKernel;
    cases.push({
      classname: 'host',
      name,
      seconds: reboot.durationMs / 1000,
      ...(!reboot.ok ? { failure: `did not come back: ${reboot.detail}`, output: reboot.console } : {}),
      ...(wrongKernel ? { failure: `booted ${reboot.kernel}, expected ${reboot.expectedKernel}` } : {}),
    });
  }
  if (report.rollback) {
    cases.push({
      classname: 'patch',
      name: 'rollback',
      seconds: report.rollback.durationMs / 1000,
      ...(report.rollback.restored ? {} : { failure: `not restored: ${report.rollback.remaining.map((r) => r.name).join(', ')}` }),
    });
  }
  if (report.verdict === 'error' && !cases.some((c) => c.error)) {
    cases.push({ classname: 'lab', name: 'lab run', seconds: report.durationMs / 1000, error: report.reasons.join('\n') });
  }
  const count = (key: 'failure' | 'error' | 'skipped') => cases.filter((c) => c[key] !== undefined).length;
  const body = cases.map((c) => {
    const attrs = `classname="${escapeXml(c.classname)}" name="${escapeXml(c.name)}" time="${c.seconds.toFixed(3)}"`;
    const inner = [
      c.failure !== undefined ? `<failure message="${escapeXml(c.failure)}"/>` : '',
      c.error !== undefined ? `<error message="${escapeXml(c.error)}"/>` : '',
      c.skipped !== undefined ? `<skipped message="${escapeXml(c.skipped)}"/>` : '',
      c.output ? `<system-out>${escapeXml(c.output)}</system-out>` : '',
    ].join('');
    return inner ? `    <testcase ${attrs}>${inner}</testcase>` : `    <testcase ${attrs}/>`;
  });
  const name = `patchlab lab run ${report.image.name} (${report.patch.request.join(' ')})`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="patchlab" tests="${cases.length}" failures="${count('failure')}" errors="${count('error')}" time="${(report.durationMs / 1000).toFixed(3)}">`,
    `  <testsuite name="${escapeXml(name)}" tests="${cases.length}" failures="${count('failure')}" errors="${count('error')}" skipped="${count('skipped')}" timestamp="${report.startedAt}" time="${(report.durationMs / 1000).toFixed(3)}">`,
    ...body,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

/** A short human summary for the terminal. Pure. */
export function summarize(report: LabReport): string {
  const lines = [
    `verdict: ${report.verdict.toUpperCase()}  (image ${report.image.name}, ${(report.durationMs / 1000).toFixed(1)} s)`,
    ...report.reasons.map((r) => `  - ${r}`),
  ];
  if (report.lists) lines.push(describeLists(report.lists));
  if (report.patch.packages.length > 0) {
    lines.push(`patch: ${report.patch.packages.length} package(s), ${(report.patch.downloadedBytes / 1e6).toFixed(1)} MB downloaded, ${report.patch.reusedFiles} from cache${report.patch.planReused ? ', plan reused from an earlier run on the same image and lists' : ''}`);
    for (const p of report.patch.packages) lines.push(`  ${p.name} ${p.from ?? '(new)'} -> ${p.to}${p.security ? '  [security]' : ''}`);
  }
  for (const d of report.patch.debs) lines.push(`  local: ${d}`);
  for (const h of report.held ?? []) lines.push(`  left out: ${h}`);
  lines.push(...advisoryLines(report.advisories ?? []));
  lines.push('checks (unpatched twin -> patched -> after rollback):');
  for (const c of report.checks) {
    const s = (r?: { status: string }) => r?.status ?? '-';
    lines.push(`  ${c.comparison.padEnd(16)} ${s(c.baseline)} -> ${s(c.patched)} -> ${s(c.afterRollback)}  ${c.name}`);
  }
  if (report.topology) {
    lines.splice(1 + report.reasons.length, 0, `hosts per set: ${report.topology.hosts.map((h) => `${h.name} (${h.image})`).join(', ')}; patched: ${report.topology.targets.join(', ')}`);
  }
  if (report.reboot) lines.push(`reboot: ${report.reboot.ok ? `came back in ${(report.reboot.durationMs / 1000).toFixed(1)} s, kernel ${report.reboot.kernelBefore} -> ${report.reboot.kernel}` : `DID NOT COME BACK (${report.reboot.detail})`}`);
  if (report.rollbackReboot) lines.push(`reboot after rollback: ${report.rollbackReboot.ok ? `came back, kernel ${report.rollbackReboot.kernel}` : `DID NOT COME BACK (${report.rollbackReboot.detail})`}`);
  const twin = report.hosts['rolled-back'];
  if (report.rollback) lines.push(`rollback: ${report.rollback.restored ? 'restored every version' : 'NOT restored'} in ${(report.rollback.durationMs / 1000).toFixed(1)} s${twin ? ` on ${twin}, a twin given the same transaction` : ''}`);
  return lines.join('\n');
}
