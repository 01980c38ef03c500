import { readFileSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import { connect, type AddressInfo, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseGoss } from '../../lab/checks/goss-load.ts';
import { runGossChecks } from '../../lab/checks/goss-run.ts';
import { localHost } from '../fixtures/checks/local-host.ts';

/**
 * goss's http attributes beyond status and body, against real local servers: TLS (allow-insecure,
 * ca-file, cert-file/key-file, read from the host under test), basic auth, the Host header goss
 * sends, a proxy for http and https, and Go's redirect rules.
 */

const tls = join(import.meta.dirname, '..', 'fixtures', 'checks', 'tls');
const pem = (name: string) => readFileSync(join(tls, name));
const target = localHost();

function echo(request: IncomingMessage, response: ServerResponse): void {
  if (request.url === '/moved') return void response.writeHead(303, { location: '/echo' }).end();
  let body = '';
  request.on('data', (chunk: Buffer) => (body += chunk.toString()));
  request.on('end', () => {
    const socket = request.socket as Partial<TLSSocket>;
    const peer = socket.getPeerCertificate?.();
    response.end(
      [
        `${request.method} ${request.url}`,
        `host=${request.headers.host}`,
        `auth=${request.headers.authorization ?? 'none'}`,
        `client=${socket.authorized && peer?.subject ? peer.subject.CN : 'none'}`,
        `body=${body}`,
      ].join('\n'),
    );
  });
}

let plain: http.Server;
let secure: https.Server;
let proxy: http.Server;
const port = (server: http.Server | https.Server) => (server.address() as AddressInfo).port;
const proxied: string[] = [];
/** Tunnelled sockets are no longer the server's to close. */
const tunnels: Socket[] = [];

beforeAll(async () => {
  plain = http.createServer(echo);
  secure = https.createServer({ key: pem('server.key'), cert: pem('server.pem'), ca: pem('ca.pem'), requestCert: true, rejectUnauthorized: false }, echo);
  // An http proxy: absolute-form requests are answered for the origin, CONNECT is tunnelled.
  proxy = http.createServer((request, response) => {
    proxied.push(`${request.method} ${request.url}`);
    const origin = new URL(request.url as string);
    const forward = http.request({ host: '127.0.0.1', port: origin.port, path: `${origin.pathname}${origin.search}`, method: request.method, headers: request.headers }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    });
    request.pipe(forward);
  });
  proxy.on('connect', (request: IncomingMessage, client: Socket) => {
    tunnels.push(client);
    proxied.push(`CONNECT ${request.url}`);
    const [, originPort] = (request.url as string).split(':');
    const upstream = connect(Number(originPort), '127.0.0.1', () => {
      tunnels.push(upstream);
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.pipe(client).pipe(upstream);
    });
  });
  await Promise.all([plain, secure, proxy].map((s) => new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))));
});
afterAll(async () => {
  for (const socket of tunnels) socket.destroy();
  await Promise.all([plain, secure, proxy].map((s) => new Promise<void>((resolve) => {
    s.close(() => resolve());
    s.closeAllConnections();
  })));
});

async function check(attributes: string, url = `https://localhost:${port(secure)}/echo`) {
  const [result] = await runGossChecks(parseGoss(`http:\n  ${url}: {${attributes}}\n`, 'http.goss.yaml'), target, { timeoutMs: 5_000 });
  return result;
}

describe('TLS as goss makes it', () => {
  it('refuses a certificate it cannot verify, unless allow-insecure says so', async () => {
    expect((await check('status: 200'))?.message).toMatch(/no answer: .*(self-signed|unable to (verify|get local issuer))/);
    expect(await check('status: 200, allow-insecure: true')).toMatchObject({ status: 'pass' });
  });

  it('verifies with ca-file, read from the host under test, against the name in the URL', async () => {
    expect(await check(`status: 200, ca-file: ${join(tls, 'ca.pem')}, body: ["host=localhost:${port(secure)}"]`)).toMatchObject({ status: 'pass', message: '' });
  });

  it('presents a client certificate from cert-file and key-file', async () => {
    const result = await check(`status: 200, ca-file: ${join(tls, 'ca.pem')}, cert-file: ${join(tls, 'client.pem')}, key-file: ${join(tls, 'client.key')}, body: ["client=patchlab client"]`);
    expect(result).toMatchObject({ status: 'pass', message: '' });
  });

  it('fails, saying so, when a file it names is not on the host', async () => {
    expect((await check('status: 200, ca-file: /no/such/ca.pem'))?.message).toMatch(/^GET https:\/\/localhost:\d+\/echo: no answer: ca-file \/no\/such\/ca\.pem: cannot read it on the host: .*ENOENT/);
  });
});

describe('requests as goss sends them', () => {
  it('sends the Host of the URL, basic auth from username and password, and the first Host of request-headers', async () => {
    const url = `http://localhost:${port(plain)}/echo`;
    const auth = `Basic ${Buffer.from('alice:s3cret').toString('base64')}`;
    expect(await check(`status: 200, username: alice, password: s3cret, body: ["host=localhost:${port(plain)}", "auth=${auth}"]`, url)).toMatchObject({ status: 'pass', message: '' });
    expect(await check('status: 200, request-headers: ["Host: intranet.example", "Host: other.example"], body: ["host=intranet.example"]', url)).toMatchObject({ status: 'pass', message: '' });
  });

  it('follows a 303 as Go does: a POST becomes a GET without its body', async () => {
    const url = `http://localhost:${port(plain)}/moved`;
    expect(await check('method: POST, request-body: x=1, status: 200, body: ["GET /echo", "body="]', url)).toMatchObject({ status: 'pass', message: '' });
    expect(await check('method: POST, status: 303, no-follow-redirects: true', url)).toMatchObject({ status: 'pass' });
  });

  it('goes through a proxy: absolute-form for http, a CONNECT tunnel for https', async () => {
    const via = `proxy: "http://localhost:${port(proxy)}"`;
    expect(await check(`status: 200, ${via}, body: ["GET /echo"]`, `http://localhost:${port(plain)}/echo`)).toMatchObject({ status: 'pass', message: '' });
    expect(await check(`status: 200, ${via}, ca-file: ${join(tls, 'ca.pem')}`)).toMatchObject({ status: 'pass', message: '' });
    expect(proxied).toEqual([`GET http://localhost:${port(plain)}/echo`, `CONNECT localhost:${port(secure)}`]);
  });
});
