import type { Endpoint } from '../hosts/host.ts';
import type { HttpAttributes } from './goss-schema.ts';
import { onHost, ProbeError } from './host-probes.ts';
import type { CheckTarget } from './types.ts';

/**
 * http checks run from the lab process, not inside the host: minbase images have no curl, and
 * the latency a user feels is measured from outside. A goss file says "localhost" because goss
 * runs on the machine it checks; here that name means the host under test.
 */

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** A VM host's ports are forwarded elsewhere on loopback, so the port can change too. */
export function urlOnHost(url: string, address: string, endpoint: (port: number) => Endpoint = (port) => ({ address, port })): string {
  const parsed = new URL(url);
  if (!LOOPBACK.has(parsed.hostname)) return parsed.href;
  const port = parsed.port ? Number(parsed.port) : parsed.protocol === 'https:' ? 443 : 80;
  const reached = endpoint(port);
  parsed.hostname = reached.address.includes(':') ? `[${reached.address}]` : reached.address;
  parsed.port = String(reached.port);
  return parsed.href;
}

export type HttpObservation =
  | { answered: true; status: number; headers: string; body: string; latencyMs: number }
  | { answered: false; reason: string };

/** Fetches the URL from the host; not answering is an observation, hanging past the timeout a ProbeError. */
export async function fetchFromHost(target: CheckTarget, url: string, attributes: HttpAttributes, timeoutMs: number): Promise<HttpObservation> {
  const method = attributes.method ?? 'GET';
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const started = performance.now();
  try {
    const response = await fetch(urlOnHost(url, target.host.address, (port) => target.host.endpoint(port)), {
      method,
      headers: requestHeaders(attributes['request-headers'] ?? []),
      body: attributes['request-body'],
      redirect: attributes['no-follow-redirects'] ? 'manual' : 'follow',
      signal: controller.signal,
    });
    const body = await response.text();
    return { answered: true, status: response.status, headers: renderHeaders(response.headers), body, latencyMs: Math.round(performance.now() - started) };
  } catch (error) {
    if (controller.signal.aborted) throw new ProbeError(`${onHost(target)}: ${method} ${url} timed out after ${timeoutMs} ms`, true);
    return { answered: false, reason: describeFetchError(error) };
  } finally {
    clearTimeout(timer);
  }
}

function requestHeaders(lines: readonly string[]): [string, string][] {
  return lines.map((line) => {
    const colon = line.indexOf(':');
    return [line.slice(0, colon).trim(), line.slice(colon + 1).trim()];
  });
}

/** goss matches response headers as Go prints them, "Content-Type: text/html", one per line. */
function renderHeaders(headers: Headers): string {
  const canonical = (name: string) => name.replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => dash + letter.toUpperCase());
  return [...headers].map(([name, value]) => `${canonical(name)}: ${value}`).join('\n');
}

/** fetch says "fetch failed"; the reason a person needs (ECONNREFUSED 172.17.0.3:80) is in its cause. */
function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (!cause?.message) return (error as Error).message;
  return cause.code && !cause.message.includes(cause.code) ? `${cause.code}: ${cause.message}` : cause.message;
}
