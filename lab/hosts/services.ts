import { setTimeout as sleep } from 'node:timers/promises';
import type { ImageDefinition } from '../images/definition.ts';
import type { Host } from './host.ts';
import { describeProbe, openPorts, probePort, waitUntilReady } from './ready-probes.ts';

// Where they were first written; callers import them from here.
export { listeningPorts, openPorts } from './ready-probes.ts';

export interface ServiceOutcome {
  ok: boolean;
  /** What the start command printed, kept as evidence when a patch breaks start-up. */
  output: string;
  durationMs: number;
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

/** Starts the image's service the way the definition says and waits for its ready probes. */
export async function startService(host: Host, def: ImageDefinition | undefined, timeoutMs = (def?.service?.timeout ?? 30) * 1000): Promise<ServiceOutcome> {
  if (!def?.service) return { ok: true, output: '', durationMs: 0 };
  const started = Date.now();
  const result = await host.exec(def.service.start, { timeoutMs });
  const output = `${result.stdout}${result.stderr}`.trim();
  if (result.exitCode !== 0 || result.timedOut) {
    return { ok: false, output: output || `exit ${result.exitCode}`, durationMs: Date.now() - started };
  }
  const { ready, waiting } = await waitUntilReady(host, def.service.ready, timeoutMs);
  // Names the image and the probe: "never ready" must say which service was waited for, and for what.
  const why = `image ${def.name}: ready probe ${waiting.map(describeProbe).join(', ')} did not answer within ${timeoutMs / 1000} s`;
  return { ok: ready, output: ready ? output : `${output}\n${why}`.trim(), durationMs: Date.now() - started };
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
  const ports = def.service.ready.map(probePort);
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const open = await openPorts(host);
    if (!ports.some((p) => open.has(p))) return { released: true, output };
    await sleep(100);
  }
  return { released: false, output: `${output}\nports ${ports.join(', ')} still open 10 s after stop`.trim() };
}

/** What a fleet does after patching (needrestart): stop, then start with the new files. */
export async function restartService(host: Host, def: ImageDefinition | undefined): Promise<ServiceOutcome> {
  const stopped = await stopService(host, def);
  const started = await startService(host, def);
  const output = [stopped.output, started.output].filter(Boolean).join('\n');
  return { ...started, ok: started.ok && stopped.released, output };
}
