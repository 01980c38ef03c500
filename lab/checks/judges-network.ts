import type { AttributesOf } from './goss-schema.ts';
import { ADDR_KEY, DNS_KEY, dnsServer } from './goss-targets.ts';
import type { ProbeContext } from './host-probes.ts';
import { fetchFromHost } from './http-probe.ts';
import { Findings, type Judgement } from './judge-findings.ts';
import { reachAddress, resolveName } from './network-probes.ts';

/**
 * Judges that need the network. `addr` and `dns` are judged from inside the host, as goss runs
 * there; `http` from the lab process (see http-probe.ts). Not reaching a target is a failure
 * with the reason, never an error: it is what the host sees.
 */

/** goss's defaults for addr and dns, when the file names no timeout. */
const NETWORK_TIMEOUT_MS = 500;

export async function judgeAddr(address: string, attributes: AttributesOf<'addr'>, ctx: ProbeContext): Promise<Judgement> {
  const [, protocol = 'tcp', host = '', port = ''] = ADDR_KEY.exec(address) ?? [];
  const target = { protocol: protocol as 'tcp' | 'udp', host, port: Number(port), ...(attributes['local-address'] ? { localAddress: attributes['local-address'] } : {}) };
  const reach = await reachAddress(ctx, target, attributes.timeout ?? NETWORK_TIMEOUT_MS);
  const findings = new Findings();
  findings.expect('reachable', attributes.reachable, reach.reachable, { detail: reach.reachable ? '' : ` (${reach.reason})` });
  return findings.judgement({ evidence: { output: reach.reachable ? `${address}: connected` : `${address}: ${reach.reason}` } });
}

export async function judgeDns(name: string, attributes: AttributesOf<'dns'>, ctx: ProbeContext): Promise<Judgement> {
  const [, type, host = name] = DNS_KEY.exec(name) ?? [];
  const server = attributes.server ? dnsServer(attributes.server) : undefined;
  // goss asks for a record type only of a server; without one it resolves the name as the system does.
  const query = { name: host, ...(server ? { server, ...(type ? { type } : {}) } : {}) };
  const resolution = await resolveName(ctx, query, attributes.timeout ?? NETWORK_TIMEOUT_MS);
  const findings = new Findings();
  const addrs = resolution.resolvable ? resolution.addrs : [];
  const detail = resolution.resolvable ? '' : ` (${resolution.reason})`;
  findings.expect('resolvable', attributes.resolvable ?? attributes.resolveable, resolution.resolvable, { detail });
  findings.expect('addrs', attributes.addrs, addrs, { detail });
  return findings.judgement({ evidence: { output: resolution.resolvable ? addrs.join('\n') : resolution.reason } });
}

export async function judgeHttp(url: string, attributes: AttributesOf<'http'>, ctx: ProbeContext): Promise<Judgement> {
  const observed = await fetchFromHost(ctx.target, url, attributes, ctx.timeoutMs);
  if (!observed.answered) return { problems: [`${attributes.method ?? 'GET'} ${url}: no answer: ${observed.reason}`] };
  const findings = new Findings();
  findings.expect('status', attributes.status, observed.status);
  findings.expectText('body', attributes.body, observed.body);
  findings.expectText('headers', attributes.headers, observed.headers);
  return findings.judgement({ metrics: { latencyMs: observed.latencyMs } });
}
