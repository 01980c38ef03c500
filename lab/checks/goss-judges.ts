import {
  PORT_KEY,
  type CommandAttributes,
  type FileAttributes,
  type HttpAttributes,
  type PackageAttributes,
  type PortAttributes,
} from './goss-schema.ts';
import {
  commName,
  installedVersions,
  listeningOn,
  probe,
  readText,
  runningProcesses,
  statFile,
  type ProbeContext,
} from './host-probes.ts';
import { fetchFromHost } from './http-probe.ts';
import { describeMatcher, excerpt, matches, type Matcher } from './matchers.ts';
import type { CheckResult } from './types.ts';

/**
 * One function per goss resource type: observe the host, compare with the attributes, and say
 * in words what differs ("status: expected 200, got 502"). No problems means pass.
 */
export interface Judgement {
  problems: string[];
  metrics?: CheckResult['metrics'];
  evidence?: CheckResult['evidence'];
}

class Findings {
  readonly problems: string[] = [];

  expect(attribute: string, expected: string | number | boolean | undefined, got: string | number | boolean, detail = ''): void {
    if (expected !== undefined && expected !== got) this.problems.push(`${attribute}: expected ${show(expected)}, got ${show(got)}${detail}`);
  }

  expectText(attribute: string, matchers: readonly Matcher[] | undefined, text: string): void {
    for (const matcher of matchers ?? []) {
      if (!matches(matcher, text)) this.problems.push(`${attribute}: expected to ${describeMatcher(matcher)}, got ${excerpt(text)}`);
    }
  }
}

function show(value: string | number | boolean): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

export async function judgePackage(name: string, attributes: PackageAttributes, ctx: ProbeContext): Promise<Judgement> {
  const versions = await installedVersions(ctx, name);
  const findings = new Findings();
  findings.expect('installed', attributes.installed, versions.length > 0);
  for (const matcher of attributes.versions ?? []) {
    if (!versions.some((version) => matches(matcher, version))) {
      findings.problems.push(`versions: expected one to ${describeMatcher(matcher)}, got ${versions.join(', ') || 'none installed'}`);
    }
  }
  return { problems: findings.problems, evidence: { output: versions.join('\n') } };
}

/** process checks, and service checks in a container: there is no init system to ask, only the process table. */
export async function judgeRunning(name: string, running: boolean | undefined, ctx: ProbeContext): Promise<Judgement> {
  const names = await runningProcesses(ctx);
  const findings = new Findings();
  findings.expect('running', running, names.has(commName(name)));
  return { problems: findings.problems, evidence: { output: `processes: ${[...names].sort().join(', ')}` } };
}

export async function judgePort(key: string, attributes: PortAttributes, ctx: ProbeContext): Promise<Judgement> {
  const [, protocol = 'tcp', port = ''] = PORT_KEY.exec(key) ?? [];
  const open = await listeningOn(ctx, protocol as 'tcp' | 'tcp6');
  const findings = new Findings();
  findings.expect('listening', attributes.listening, open.has(Number(port)));
  return { problems: findings.problems, evidence: { output: `${protocol} ports listening: ${[...open].sort((a, b) => a - b).join(', ') || 'none'}` } };
}

export async function judgeHttp(url: string, attributes: HttpAttributes, ctx: ProbeContext): Promise<Judgement> {
  const observed = await fetchFromHost(ctx.target, url, attributes, ctx.timeoutMs);
  if (!observed.answered) return { problems: [`${attributes.method ?? 'GET'} ${url}: no answer: ${observed.reason}`] };
  const findings = new Findings();
  findings.expect('status', attributes.status, observed.status);
  findings.expectText('body', attributes.body, observed.body);
  findings.expectText('headers', attributes.headers, observed.headers);
  return { problems: findings.problems, metrics: { latencyMs: observed.latencyMs } };
}

export async function judgeCommand(key: string, attributes: CommandAttributes, ctx: ProbeContext): Promise<Judgement> {
  const command = attributes.exec ?? key;
  // goss defines the key as a shell command; it travels as one argv element, never spliced into another string.
  // The user's command runs in the host's own locale (env: {}), as goss would run it there.
  const result = await probe(ctx, ['sh', '-c', command], { what: `command ${JSON.stringify(command)}`, env: {} });
  const findings = new Findings();
  const lastErrorLine = result.stderr.trim().split('\n').pop();
  findings.expect('exit-status', attributes['exit-status'], result.exitCode, lastErrorLine ? ` (stderr: ${excerpt(lastErrorLine)})` : '');
  findings.expectText('stdout', attributes.stdout, result.stdout);
  findings.expectText('stderr', attributes.stderr, result.stderr);
  return { problems: findings.problems, evidence: { output: `${result.stdout}${result.stderr}`.slice(-4000) } };
}

export async function judgeFile(path: string, attributes: FileAttributes, ctx: ProbeContext): Promise<Judgement> {
  const stat = await statFile(ctx, path);
  const findings = new Findings();
  if (!stat) {
    // Any attribute but `exists: false` takes the file to be there.
    findings.expect('exists', attributes.exists ?? true, false);
    return { problems: findings.problems };
  }
  findings.expect('exists', attributes.exists, true);
  findings.expect('filetype', attributes.filetype, stat.filetype);
  findings.expect('mode', attributes.mode === undefined ? undefined : octal(attributes.mode), octal(stat.mode));
  findings.expect('owner', attributes.owner, stat.owner);
  findings.expect('group', attributes.group, stat.group);
  findings.expect('size', attributes.size, stat.size);
  const [attribute, matchers] = attributes.contents ? ['contents', attributes.contents] : ['contains', attributes.contains];
  if (matchers) {
    const read = await readText(ctx, path);
    if ('unreadable' in read) findings.problems.push(`${attribute}: cannot read the file: ${read.unreadable}`);
    else findings.expectText(attribute, matchers, read.text);
  }
  return { problems: findings.problems };
}

/** As goss writes modes: "0644". */
function octal(mode: number): string {
  return mode.toString(8).padStart(4, '0');
}
