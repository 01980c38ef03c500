import { setTimeout as sleep } from 'node:timers/promises';
import type { ImageDefinition } from '../images/definition.ts';
import type { Host } from './host.ts';

export interface ServiceOutcome {
  ok: boolean;
  /** What the start command printed, kept as evidence when a patch breaks start-up. */
  output: string;
  durationMs: number;
}

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

export async function waitForPorts(host: Host, ports: readonly number[], timeoutMs = 30_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await openPorts(host);
    if (ports.every((p) => open.has(p))) return true;
    await sleep(100);
  }
  return false;
}

/** Starts the image's service the way the definition says and waits for its ports. */
export async function startService(host: Host, def: ImageDefinition | undefined, timeoutMs = 30_000): Promise<ServiceOutcome> {
  if (!def?.service) return { ok: true, output: '', durationMs: 0 };
  const started = Date.now();
  const result = await host.exec(def.service.start, { timeoutMs });
  const output = `${result.stdout}${result.stderr}`.trim();
  if (result.exitCode !== 0 || result.timedOut) {
    return { ok: false, output: output || `exit ${result.exitCode}`, durationMs: Date.now() - started };
  }
  const ready = await waitForPorts(host, def.service.ready, timeoutMs);
  return {
    ok: ready,
    output: ready ? output : `${output}\nports ${def.service.ready.join(', ')} did not open within ${timeoutMs / 1000} s`.trim(),
    durationMs: Date.now() - started,
  };
}

export interface StopOutcome {
  /** False when the old process still holds its ports: a start now would only seem to work. */
  released: boolean;
  output: string;
}

/** Stops the service and waits for its ports to close. */
export async function stopService(host: Host, def: ImageDefinition | undefined): Promise<StopOutcome> {
  if (!def?.service?.stop) return { released: true, output: '' };
  const result = await host.exec(def.service.stop, { timeoutMs: 30_000 });
  const output = result.exitCode === 0 ? '' : `stop exited ${result.exitCode}: ${`${result.stdout}${result.stderr}`.trim()}`;
  // Give the old process time to release its ports, or the restart would find them taken.
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const open = await openPorts(host);
    if (!def.service.ready.some((p) => open.has(p))) return { released: true, output };
    await sleep(100);
  }
  return { released: false, output: `${output}\nports ${def.service.ready.join(', ')} still open 10 s after stop`.trim() };
}

/** What a fleet does after patching (needrestart): stop, then start with the new files. */
export async function restartService(host: Host, def: ImageDefinition | undefined): Promise<ServiceOutcome> {
  const stopped = await stopService(host, def);
  const started = await startService(host, def);
  const output = [stopped.output, started.output].filter(Boolean).join('\n');
  return { ...started, ok: started.ok && stopped.released, output };
}
