import http, { type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import tls, { type ConnectionOptions } from 'node:tls';
import type { Endpoint } from '../hosts/host.ts';

/**
 * One HTTP exchange as goss's http resource makes it (Go's net/http client), over Node's http and
 * https modules rather than fetch, which cannot send a Host header of its own, skip certificate
 * checks, present a client certificate or use a proxy. The URL keeps the name the goss file
 * wrote ("localhost"); `reach` says where that name really is (the host under test).
 */

export interface Exchange {
  method: string;
  headers: Record<string, string>;
  body?: string;
  tls: Pick<ConnectionOptions, 'ca' | 'cert' | 'key' | 'rejectUnauthorized'>;
  proxy?: URL;
  reach: (url: URL) => Endpoint;
  signal: AbortSignal;
}

export interface Answer {
  status: number;
  /** Header lines as [name, value], in the order they came. */
  headers: [string, string][];
  body: string;
  /** Set on a redirect. */
  location?: string;
}

const defaultPort = (url: URL) => Number(url.port || (url.protocol === 'https:' ? 443 : 80));

export async function exchange(url: URL, ask: Exchange): Promise<Answer> {
  const headers: OutgoingHttpHeaders = { host: url.host, ...ask.headers };
  const tlsOptions: ConnectionOptions = {
    ...ask.tls,
    // Checked against the name in the goss file, wherever the connection really goes.
    ...(isIP(url.hostname) ? {} : { servername: url.hostname }),
    checkServerIdentity: (_host, cert) => tls.checkServerIdentity(url.hostname.replace(/^\[(.*)\]$/, '$1'), cert),
  };
  const common = { method: ask.method, headers, signal: ask.signal, agent: false as const };
  let request: http.ClientRequest;
  if (!ask.proxy) {
    const { address, port } = ask.reach(url);
    const target = { ...common, host: address, port, path: `${url.pathname}${url.search}` };
    request = url.protocol === 'https:' ? https.request({ ...target, ...tlsOptions }) : http.request(target);
  } else if (url.protocol === 'http:') {
    const { address, port } = ask.reach(ask.proxy);
    request = http.request({ ...common, host: address, port, path: url.href });
  } else {
    const socket = await tunnel(url, ask);
    // No agent here: Node uses createConnection only for a request without one.
    const { agent: _none, ...direct } = common;
    request = https.request({ ...direct, ...tlsOptions, path: `${url.pathname}${url.search}`, createConnection: () => tls.connect({ ...tlsOptions, socket }) });
  }
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    request.on('response', resolve).on('error', reject);
    request.end(ask.body);
  });
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < response.rawHeaders.length; i += 2) pairs.push([response.rawHeaders[i] as string, response.rawHeaders[i + 1] as string]);
  return {
    status: response.statusCode ?? 0,
    headers: pairs,
    body: Buffer.concat(chunks).toString('utf8'),
    ...(response.headers.location ? { location: response.headers.location } : {}),
  };
}

/** An https URL through an http proxy: CONNECT, then TLS inside the tunnel. */
async function tunnel(url: URL, ask: Exchange) {
  const { address, port } = ask.reach(ask.proxy as URL);
  const authority = `${url.hostname}:${defaultPort(url)}`;
  const connect = http.request({ host: address, port, method: 'CONNECT', path: authority, headers: { host: authority }, signal: ask.signal, agent: false });
  return new Promise<import('node:net').Socket>((resolve, reject) => {
    connect.on('connect', (response, socket) => {
      if (response.statusCode === 200) resolve(socket);
      else {
        socket.destroy();
        reject(new Error(`proxy ${ask.proxy?.host} refused CONNECT ${authority}: ${response.statusCode} ${response.statusMessage ?? ''}`.trim()));
      }
    });
    connect.on('error', reject);
    connect.end();
  });
}
