import type { AttributesOf } from './goss-schema.ts';
import type { ProbeContext } from './host-probes.ts';
import { Findings, type Judgement } from './judge-findings.ts';
import { groupId, interfaceAddresses, kernelParam, mountAt, mountUsage, networkInterface, userAccount, userGroups } from './system-probes.ts';

/**
 * Judges for the host's accounts, kernel parameters, mounts and network interfaces, and for
 * `matching`, which compares the file's own content and asks the host nothing.
 */

/** goss's mount timeout, when the file names none. */
const MOUNT_TIMEOUT_MS = 1_000;

export async function judgeUser(name: string, attributes: AttributesOf<'user'>, ctx: ProbeContext): Promise<Judgement> {
  const account = await userAccount(ctx, name);
  const findings = new Findings();
  if (!findings.expectPresence(attributes.exists, account)) return findings.judgement();
  findings.expect('uid', attributes.uid, account.uid);
  findings.expect('gid', attributes.gid, account.gid);
  findings.expect('home', attributes.home, account.home);
  findings.expect('shell', attributes.shell, account.shell);
  if (attributes.groups) findings.expect('groups', attributes.groups, await userGroups(ctx, name));
  return findings.judgement();
}

export async function judgeGroup(name: string, attributes: AttributesOf<'group'>, ctx: ProbeContext): Promise<Judgement> {
  const gid = await groupId(ctx, name);
  const findings = new Findings();
  if (findings.expectPresence(attributes.exists, gid)) findings.expect('gid', attributes.gid, gid);
  return findings.judgement();
}

export async function judgeKernelParam(name: string, attributes: AttributesOf<'kernel-param'>, ctx: ProbeContext): Promise<Judgement> {
  const param = await kernelParam(ctx, name);
  const findings = new Findings();
  if ('missing' in param) {
    if (attributes.value) findings.problems.push(`value: the host has no kernel parameter ${name} (no /proc/sys/${name.replaceAll('.', '/')})`);
    return findings.judgement();
  }
  if ('unreadable' in param) {
    // Write-only parameters (vm.compact_memory, net.ipv4.route.flush) have no value to compare.
    return findings.judgement({ skipped: `value: ${name} cannot be read on this host (${param.unreadable}); a write-only parameter has no value to judge` });
  }
  findings.expect('value', attributes.value, param.value);
  return findings.judgement({ evidence: { output: param.value } });
}

export async function judgeMount(mountpoint: string, attributes: AttributesOf<'mount'>, ctx: ProbeContext): Promise<Judgement> {
  const mount = await mountAt(ctx, mountpoint);
  const findings = new Findings();
  if (!findings.expectPresence(attributes.exists, mount)) return findings.judgement();
  findings.expect('opts', attributes.opts, mount.opts);
  findings.expect('vfs-opts', attributes['vfs-opts'], mount.vfsOpts);
  findings.expect('source', attributes.source, mount.source);
  findings.expect('filesystem', attributes.filesystem, mount.filesystem);
  if (attributes.usage) findings.expect('usage', attributes.usage, await mountUsage(ctx, mountpoint, attributes.timeout ?? MOUNT_TIMEOUT_MS));
  return findings.judgement({ evidence: { output: `${mount.source} on ${mountpoint} type ${mount.filesystem} (${mount.opts.join(',')})` } });
}

export async function judgeInterface(name: string, attributes: AttributesOf<'interface'>, ctx: ProbeContext): Promise<Judgement> {
  const found = await networkInterface(ctx, name);
  const findings = new Findings();
  if (!findings.expectPresence(attributes.exists, found)) return findings.judgement();
  findings.expect('mtu', attributes.mtu, found.mtu);
  if (attributes.addrs) findings.expect('addrs', attributes.addrs, await interfaceAddresses(ctx, name));
  return findings.judgement();
}

export function judgeMatching(attributes: AttributesOf<'matching'>): Judgement {
  const findings = new Findings();
  findings.expect('matches', attributes.matches, attributes.content);
  return findings.judgement();
}
