import type { Endpoint } from '../hosts/host.ts';
import type { AttributesOf } from './goss-schema.ts';
import { onHost, ProbeError } from './host-probes.ts';
import { exchange, type Exchange } from './http-request.ts';
import type { CheckTarget } from './types.ts';

/**
 * http checks run from the lab process, not inside the host: minbase images have no curl, and
 * the latency a user feels is measured from outside. A goss file says "localhost" because goss
 * runs on the machine it checks; here that name means the host under test (for the connection;
 * the Host header and the certificate's name stay "localhost", as goss would send and check
 * them). Files the check names (ca-file, cert-file, key-file) are read from the host under test,
 * where goss would read them.
 */

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);
/** Go's client gives up after 10 redirects. */
const MAX_REDIRECTS = 10;

/** Where the lab reaches the URL's host: a loopback name means the host under test (a VM's ports are forwarded, so the port can change too). */
export function reachOnHost(url: URL, address: string, endpoint: (port: number) => Endpoint = (port) => ({ address, port })): Endpoint {
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  if (!LOOPBACK.has(url.hostname)) return { address: url.hostname.replace(/^\[(.*)\]$/, '$1'), port };
  return endpoint(port);
}

export type HttpObservation =
  | { answered: true; status: number; headers: string; body: string; latencyMs: number }
  | { answered: false; reason: string };

/** Fetches the URL from the host; not answering is an observation, hanging past the timeout a ProbeError. */
export async function fetchFromHost(target: CheckTarget, url: string, attributes: AttributesOf<'http'>, timeoutMs: number): Promise<HttpObservation> {
  let method = attributes.method ?? 'GET';
  const files = await tlsFiles(target, attributes);
  if ('unreadable' in files) return { answered: false, reason: files.unreadable };
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const started = performance.now();
  const ask: Exchange = {
    method,
    headers: requestHeaders(attributes),
    ...(attributes['request-body'] !== undefined ? { body: attributes['request-body'] } : {}),
    tls: { ...files, rejectUnauthorized: !attributes['allow-insecure'] },
    ...(attributes.proxy ? { proxy: new URL(attributes.proxy) } : {}),
    reach: (u) => reachOnHost(u, target.host.address, (port) => target.host.endpoint(port)),
    signal: controller.signal,
  };
  try {
    let current = new URL(url);
    for (let redirects = 0; ; redirects++) {
      const answer = await exchange(current, { ...ask, method });
      const redirect = [301, 302, 303, 307, 308].includes(answer.status) && answer.location && !attributes['no-follow-redirects'];
      if (!redirect) {
        const latencyMs = Math.round(performance.now() - started);
        return { answered: true, status: answer.status, headers: renderHeaders(answer.headers), body: answer.body, latencyMs };
      }
      if (redirects === MAX_REDIRECTS) return { answered: false, reason: `stopped after ${MAX_REDIRECTS} redirects` };
      current = new URL(answer.location as string, current);
      // As Go's client: 301, 302 and 303 turn a request with a body into a GET without one.
      if (answer.status <= 303 && method !== 'GET' && method !== 'HEAD') {
        method = 'GET';
        delete ask.body;
      }
    }
  } catch (error) {
    if (controller.signal.aborted) throw new ProbeError(`${onHost(target)}: ${attributes.method ?? 'GET'} ${url} timed out after ${timeoutMs} ms`, true);
    return { answered: false, reason: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

async function tlsFiles(target: CheckTarget, attributes: AttributesOf<'http'>): Promise<{ ca?: Buffer; cert?: Buffer; key?: Buffer } | { unreadable: string }> {
  const files: { ca?: Buffer; cert?: Buffer; key?: Buffer } = {};
  for (const [attribute, name] of [['ca-file', 'ca'], ['cert-file', 'cert'], ['key-file', 'key']] as const) {
    const path = attributes[attribute];
    if (!path) continue;
    try {
      files[name] = await target.host.copyOut(path);
    } catch (error) {
      return { unreadable: `${attribute} ${path}: cannot read it on the host: ${(error as Error).message}` };
    }
  }
  return files;
}

function requestHeaders(attributes: AttributesOf<'http'>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of attributes['request-headers'] ?? []) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    // goss takes the first Host header; the others are dropped, as Go's client does.
    if (name === 'host' && headers.host !== undefined) continue;
    headers[name] = headers[name] === undefined || name === 'host' ? line.slice(colon + 1).trim() : `${headers[name]}, ${line.slice(colon + 1).trim()}`;
  }
  if (attributes.username) headers.authorization = `Basic ${Buffer.from(`${attributes.username}:${attributes.password ?? ''}`).toString('base64')}`;
  return headers;
}

/** goss matches response headers as Go prints them, "Content-Type: text/html", one per line. */
function renderHeaders(headers: readonly [string, string][]): string {
  const canonical = (name: string) => name.toLowerCase().replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => dash + letter.toUpperCase());
  return headers.map(([name, value]) => `${canonical(name)}: ${value}`).join('\n');
}
