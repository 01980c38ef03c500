import { checksum, linkTarget, type Digest } from './file-probes.ts';
import type { AttributesOf } from './goss-schema.ts';
import { PORT_KEY } from './goss-targets.ts';
import { commName, installedVersions, listeningOn, probe, readText, runningProcesses, statFile, type ProbeContext } from './host-probes.ts';
import { Findings, type Judgement } from './judge-findings.ts';
import { excerpt } from './matcher-eval.ts';
import { type Matcher } from './matchers.ts';
import type { Protocol } from './proc-net.ts';

/**
 * Judges for what a host holds locally: packages, processes, ports, commands, files. Each takes
 * the resource's target (its key, or the attribute that names it) and its attributes.
 */

export async function judgePackage(name: string, attributes: AttributesOf<'package'>, ctx: ProbeContext): Promise<Judgement> {
  const versions = await installedVersions(ctx, name);
  const findings = new Findings();
  findings.expect('installed', attributes.installed, versions.length > 0);
  findings.expect('versions', attributes.versions, versions, { none: 'none installed' });
  return findings.judgement({ evidence: { output: versions.join('\n') } });
}

/** process checks, and service checks in a container: there is no init system to ask, only the process table. */
export async function judgeRunning(name: string, running: Matcher | undefined, ctx: ProbeContext): Promise<Judgement> {
  const names = await runningProcesses(ctx);
  const findings = new Findings();
  findings.expect('running', running, names.has(commName(name)));
  return findings.judgement({ evidence: { output: `processes: ${[...names].sort().join(', ')}` } });
}

export async function judgePort(key: string, attributes: AttributesOf<'port'>, ctx: ProbeContext): Promise<Judgement> {
  const [, protocol = 'tcp', port = ''] = PORT_KEY.exec(key) ?? [];
  const bound = await listeningOn(ctx, protocol as Protocol);
  const ips = bound.get(Number(port)) ?? [];
  const findings = new Findings();
  findings.expect('listening', attributes.listening, ips.length > 0);
  findings.expect('ip', attributes.ip, ips);
  const listing = [...bound].sort(([a], [b]) => a - b).map(([p, addresses]) => `${p} (${addresses.join(', ')})`);
  return findings.judgement({ evidence: { output: `${protocol} ports listening: ${listing.join(', ') || 'none'}` } });
}

export async function judgeCommand(command: string, attributes: AttributesOf<'command'>, ctx: ProbeContext): Promise<Judgement> {
  // goss defines the key as a shell command; it travels as one argv element, never spliced into another string.
  // The user's command runs in the host's own locale (env: {}), as goss would run it there.
  const result = await probe(ctx, ['sh', '-c', command], { what: `command ${JSON.stringify(command)}`, env: {} });
  const findings = new Findings();
  const lastErrorLine = result.stderr.trim().split('\n').pop();
  findings.expect('exit-status', attributes['exit-status'], result.exitCode, { detail: lastErrorLine ? ` (stderr: ${excerpt(lastErrorLine)})` : '' });
  findings.expectText('stdout', attributes.stdout, result.stdout);
  findings.expectText('stderr', attributes.stderr, result.stderr);
  return findings.judgement({ evidence: { output: `${result.stdout}${result.stderr}`.slice(-4000) } });
}

const DIGESTS: readonly Digest[] = ['md5', 'sha256', 'sha512'];

export async function judgeFile(path: string, attributes: AttributesOf<'file'>, ctx: ProbeContext): Promise<Judgement> {
  const stat = await statFile(ctx, path);
  const findings = new Findings();
  if (!findings.expectPresence(attributes.exists, stat)) return findings.judgement();
  findings.expect('filetype', attributes.filetype, stat.filetype);
  findings.expect('mode', attributes.mode, stat.mode.toString(8).padStart(4, '0'));
  findings.expect('owner', attributes.owner, stat.owner);
  findings.expect('uid', attributes.uid, stat.uid);
  findings.expect('group', attributes.group, stat.group);
  findings.expect('gid', attributes.gid, stat.gid);
  findings.expect('size', attributes.size, stat.size);
  if (attributes['linked-to']) {
    const target = stat.filetype === 'symlink' ? await linkTarget(ctx, path) : undefined;
    findings.expect('linked-to', attributes['linked-to'], target ?? `(not a symlink: a ${stat.filetype})`);
  }
  const [attribute, matchers] = attributes.contents ? ['contents', attributes.contents] : ['contains', attributes.contains];
  if (matchers) {
    const read = await readText(ctx, path);
    if ('unreadable' in read) findings.problems.push(`${attribute}: cannot read the file: ${read.unreadable}`);
    else findings.expectText(attribute, matchers, read.text);
  }
  for (const digest of DIGESTS) {
    if (!attributes[digest]) continue;
    const sum = await checksum(ctx, path, digest);
    if ('unreadable' in sum) findings.problems.push(`${digest}: cannot read the file: ${sum.unreadable}`);
    else findings.expect(digest, attributes[digest], sum.hex);
  }
  return findings.judgement();
}
