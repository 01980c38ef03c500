import { readFileSync } from 'node:fs';
import { probe, type ProbeContext } from './host-probes.ts';

/**
 * goss judges `addr` and `dns` from the machine it checks, so they run inside the host, with
 * perl (perl-base is Essential in Debian: every image has it; minbase has no nc, dig or host).
 * The scripts are fixed text; every name from the goss file reaches them as an argument of its
 * own, never inside the script. A host that cannot reach a target fails the check, honestly:
 * both twins fail it the same way.
 */

/** Connects (tcp) or binds a connected socket (udp, which sends nothing, as goss's dial). */
const CONNECT = [
  'use IO::Socket::IP;',
  'my ($proto, $host, $port, $local, $timeout) = @ARGV;',
  'IO::Socket::IP->new(PeerHost => $host, PeerPort => $port, Proto => $proto, Timeout => $timeout,',
  '  ($local ne "" ? (LocalHost => $local) : ())) and exit 0;',
  'print STDERR "$@\\n"; exit 1;',
].join('\n');

const DNS_LOOKUP = readFileSync(new URL('./dns-lookup.pl', import.meta.url), 'utf8');

/** `timeout` ends what a name lookup inside the script could otherwise hang on; it exits 124 when it does. */
const TIMED_OUT = 124;

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

export type Reach = { reachable: true } | { reachable: false; reason: string };

export async function reachAddress(
  ctx: ProbeContext,
  target: { protocol: 'tcp' | 'udp'; host: string; port: number; localAddress?: string },
  timeoutMs: number,
): Promise<Reach> {
  const host = target.host.replace(/^\[(.*)\]$/, '$1');
  const argv = ['timeout', seconds(timeoutMs), 'perl', '-e', CONNECT, target.protocol, host, String(target.port), target.localAddress ?? '', seconds(timeoutMs)];
  const result = await probe(ctx, argv, { what: `addr ${target.protocol}://${target.host}:${target.port}` });
  if (result.exitCode === 0) return { reachable: true };
  if (result.exitCode === TIMED_OUT) return { reachable: false, reason: `no connection within ${timeoutMs} ms` };
  return { reachable: false, reason: result.stderr.trim().split('\n').pop() || `exit ${result.exitCode}` };
}

export type Resolution = { resolvable: true; addrs: string[] } | { resolvable: false; reason: string };

/** The name's addresses (or records of `type`) as goss lists them: sorted, one per answer. */
export async function resolveName(
  ctx: ProbeContext,
  query: { name: string; type?: string; server?: { host: string; port: number } },
  timeoutMs: number,
): Promise<Resolution> {
  const { name, type = '', server } = query;
  // The system resolver gets goss's limit as a whole; a server gets it per query (A and AAAA are two), and perl a second of its own.
  const limit = server ? timeoutMs * (type === '' ? 2 : 1) + 1000 : timeoutMs;
  const argv = ['timeout', seconds(limit), 'perl', '-e', DNS_LOOKUP, name, type, server?.host ?? '', String(server?.port ?? 53), seconds(timeoutMs)];
  const result = await probe(ctx, argv, { what: `dns ${type ? `${type}:` : ''}${name}` });
  if (result.exitCode === 0) return { resolvable: true, addrs: result.stdout.split('\n').filter(Boolean).sort() };
  if (result.exitCode === TIMED_OUT) return { resolvable: false, reason: `no answer within ${timeoutMs} ms` };
  return { resolvable: false, reason: result.stderr.trim().split('\n').pop() || `exit ${result.exitCode}` };
}
