import { setTimeout as sleep } from 'node:timers/promises';
import type { Host } from './host.ts';

/** Ports listening on the host, read from /proc so images need no extra tools. Pure. */
export function listeningPorts(procNetTcp: string): Set<number> {
  const ports = new Set<number>();
  for (const line of procNetTcp.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    // st 0A is TCP_LISTEN
    if (fields[3] === '0A' && fields[1]) ports.add(Number.parseInt(fields[1].split(':').pop() ?? '', 16));
  }
  return ports;
}

export async function openPorts(host: Host): Promise<Set<number>> {
  const result = await host.exec(['cat', '/proc/net/tcp', '/proc/net/tcp6'], { timeoutMs: 10_000 });
  return listeningPorts(result.stdout);
}

/** A service is ready when each of its probes answers: a port that listens, or a URL on the host that answers 2xx/3xx. */
export type ReadyProbe = number | string;

export function describeProbe(probe: ReadyProbe): string {
  return typeof probe === 'number' ? `port ${probe}` : probe;
}

/** The TCP port a probe needs, for waiting until a stopped service has let go of it. */
export function probePort(probe: ReadyProbe): number {
  if (typeof probe === 'number') return probe;
  const url = new URL(probe);
  return url.port ? Number(url.port) : 80;
}

/**
 * A URL probe is asked from the lab process, through the host's endpoint for that port (as goss
 * http checks are): localhost in it means the host under test.
 */
async function answers(host: Host, url: string): Promise<boolean> {
  const parsed = new URL(url);
  const reached = host.endpoint(probePort(url));
  const address = reached.address.includes(':') ? `[${reached.address}]` : reached.address;
  try {
    const response = await fetch(`http://${address}:${reached.port}${parsed.pathname}${parsed.search}`, {
      redirect: 'manual',
      signal: AbortSignal.timeout(2_000),
    });
    await response.body?.cancel();
    return response.status >= 200 && response.status < 400;
  } catch {
    return false;
  }
}

/** Waits until every probe answers; says which did not when the time is up. */
export async function waitUntilReady(host: Host, probes: readonly ReadyProbe[], timeoutMs: number): Promise<{ ready: boolean; waiting: ReadyProbe[] }> {
  const deadline = Date.now() + timeoutMs;
  let waiting = [...probes];
  for (;;) {
    const open = waiting.some((p) => typeof p === 'number') ? await openPorts(host) : new Set<number>();
    const still: ReadyProbe[] = [];
    for (const probe of waiting) {
      const ok = typeof probe === 'number' ? open.has(probe) : await answers(host, probe);
      if (!ok) still.push(probe);
    }
    waiting = still;
    if (waiting.length === 0) return { ready: true, waiting };
    if (Date.now() >= deadline) return { ready: false, waiting };
    await sleep(200);
  }
}
