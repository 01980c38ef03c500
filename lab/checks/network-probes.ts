import { readFileSync } from 'node:fs';
import { probe, type ProbeContext } from './host-probes.ts';

/**
 * goss judges `addr` and `dns` from the machine it checks, so they run inside the host, with
 * perl (perl-base is Essential in Debian: every image has it; minbase has no nc, dig or host).
 * The scripts are fixed text; every name from the goss file reaches them as an argument of its
 * own, never inside the script. A host that cannot reach a target fails the check, honestly:
 * both twins fail it the same way.
 */

/**
 * Connects (tcp) or makes a connected socket (udp, which sends nothing, as goss's dial). The
 * limit is on resolving and connecting, timed with /proc/uptime (perl-base has no Time::HiRes),
 * not on starting perl in a busy container.
 */
const CONNECT = [
  'use IO::Socket::IP;',
  'sub now { open(my $uptime, "<", "/proc/uptime") or return 0; return (split " ", scalar <$uptime>)[0]; }',
  'my ($proto, $host, $port, $local, $timeout) = @ARGV;',
  'my $start = now();',
  'my $socket = IO::Socket::IP->new(PeerHost => $host, PeerPort => $port, Proto => $proto, Timeout => $timeout,',
  '  ($local ne "" ? (LocalHost => $local) : ()));',
  'if (now() - $start > $timeout) { print STDERR "no connection within $timeout s\\n"; exit 1; }',
  '$socket and exit 0;',
  'print STDERR "$@\\n"; exit 1;',
].join('\n');

const DNS_LOOKUP = readFileSync(new URL('./dns-lookup.pl', import.meta.url), 'utf8');

/** `timeout` ends what a name lookup inside the script could otherwise hang on; it exits 124 when it does. */
const TIMED_OUT = 124;
/** Room for perl to start in a busy host before its own limit begins. */
const START_MS = 3_000;

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
  const argv = ['timeout', seconds(timeoutMs + START_MS), 'perl', '-e', CONNECT, target.protocol, host, String(target.port), target.localAddress ?? '', seconds(timeoutMs)];
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
  // A server gets goss's limit per query (A and AAAA are two).
  const limit = timeoutMs * (server && type === '' ? 2 : 1) + START_MS;
  const argv = ['timeout', seconds(limit), 'perl', '-e', DNS_LOOKUP, name, type, server?.host ?? '', String(server?.port ?? 53), seconds(timeoutMs)];
  const result = await probe(ctx, argv, { what: `dns ${type ? `${type}:` : ''}${name}` });
  if (result.exitCode === 0) return { resolvable: true, addrs: result.stdout.split('\n').filter(Boolean).sort() };
  if (result.exitCode === TIMED_OUT) return { resolvable: false, reason: `no answer within ${timeoutMs} ms` };
  return { resolvable: false, reason: result.stderr.trim().split('\n').pop() || `exit ${result.exitCode}` };
}
