import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reachAddress, resolveName } from '../../lab/checks/network-probes.ts';
import { startDnsServer } from '../fixtures/checks/dns-server.ts';
import { localHost } from '../fixtures/checks/local-host.ts';

/**
 * The perl that judges addr and dns inside a host, run for real on this machine (perl-base and
 * coreutils' timeout, as on every Debian host) against a real TCP listener and a real DNS server.
 */

const ctx = { target: localHost(), timeoutMs: 10_000 };

describe('addr: connecting from the host', () => {
  let server: Server;
  let open: number;
  beforeAll(async () => {
    server = createServer((socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    open = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('reaches a listening port, from a given local address too', async () => {
    expect(await reachAddress(ctx, { protocol: 'tcp', host: '127.0.0.1', port: open }, 1000)).toEqual({ reachable: true });
    expect(await reachAddress(ctx, { protocol: 'tcp', host: 'localhost', port: open, localAddress: '127.0.0.1' }, 1000)).toEqual({ reachable: true });
  });

  it('says why it cannot reach a closed port, a name that does not resolve, or a local address it does not have', async () => {
    const closed = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const port = (probe.address() as { port: number }).port;
        probe.close(() => resolve(port));
      });
    });
    expect(await reachAddress(ctx, { protocol: 'tcp', host: '127.0.0.1', port: closed }, 1000)).toEqual({ reachable: false, reason: expect.stringMatching(/refused/i) });
    expect(await reachAddress(ctx, { protocol: 'tcp', host: 'nowhere.invalid', port: 80 }, 1000)).toMatchObject({ reachable: false });
    expect(await reachAddress(ctx, { protocol: 'tcp', host: '127.0.0.1', port: open, localAddress: '192.0.2.1' }, 1000)).toMatchObject({ reachable: false });
  });

  it('keeps a hostile name an argument: nothing runs', async () => {
    const result = await reachAddress(ctx, { protocol: 'tcp', host: '$(touch /tmp/patchlab-pwned)";exit 0;"', port: 80 }, 1000);
    expect(result).toMatchObject({ reachable: false });
  });
});

describe('dns: resolving from the host', () => {
  let dns: Awaited<ReturnType<typeof startDnsServer>>;
  beforeAll(async () => {
    dns = await startDnsServer({
      'intranet.example': { A: ['192.0.2.10', '192.0.2.11'], AAAA: ['2001:db8::10'], MX: [[10, 'mx1.intranet.example'], [20, 'mx2.intranet.example']] },
      'www.intranet.example': { CNAME: ['intranet.example'] },
      '_https._tcp.intranet.example': { SRV: [[0, 5, 443, 'a.intranet.example']] },
      'txt.intranet.example': { TXT: [['v=spf1 -all'], ['hello', 'world']] },
      'intranet.example.caa': { CAA: [[0, 'issue', 'ca.example']] },
      '10.2.0.192.in-addr.arpa': { PTR: ['intranet.example'] },
      'empty.intranet.example': {},
    });
  });
  afterAll(() => dns.close());
  const server = () => ({ host: '127.0.0.1', port: dns.port });

  it.each([
    ['', 'intranet.example', ['192.0.2.10', '192.0.2.11', '2001:db8::10']],
    ['A', 'intranet.example', ['192.0.2.10', '192.0.2.11']],
    ['AAAA', 'intranet.example', ['2001:db8::10']],
    ['MX', 'intranet.example', ['10 mx1.intranet.example.', '20 mx2.intranet.example.']],
    ['CNAME', 'www.intranet.example', ['intranet.example.']],
    ['SRV', '_https._tcp.intranet.example', ['0 5 443 a.intranet.example.']],
    ['TXT', 'txt.intranet.example', ['hello', 'v=spf1 -all', 'world']],
    ['CAA', 'intranet.example.caa', ['0 issue ca.example']],
    ['PTR', '192.0.2.10', ['intranet.example.']],
  ])('asks a server for %s records of %s and lists them as goss does', async (type, name, addrs) => {
    expect(await resolveName(ctx, { name, type, server: server() }, 1000)).toEqual({ resolvable: true, addrs });
  });

  it('calls a name the server does not know, or has no records of the type for, not resolvable', async () => {
    expect(await resolveName(ctx, { name: 'nope.intranet.example', server: server() }, 1000)).toMatchObject({ resolvable: false });
    expect(await resolveName(ctx, { name: 'empty.intranet.example', type: 'MX', server: server() }, 1000)).toMatchObject({ resolvable: false });
  });

  it('says a server that never answers did not answer, within the timeout', async () => {
    const silent = (await import('node:dgram')).createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    const started = Date.now();
    const result = await resolveName(ctx, { name: 'intranet.example', type: 'A', server: { host: '127.0.0.1', port: silent.address().port } }, 300);
    silent.close();
    expect(result).toEqual({ resolvable: false, reason: expect.stringMatching(/no answer from DNS server 127\.0\.0\.1:\d+ within 0\.300 s/) });
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('resolves with the system resolver when no server is named, /etc/hosts included', async () => {
    expect(await resolveName(ctx, { name: 'localhost' }, 2000)).toMatchObject({ resolvable: true, addrs: expect.arrayContaining(['127.0.0.1']) });
    expect(await resolveName(ctx, { name: 'nowhere.invalid' }, 2000)).toMatchObject({ resolvable: false });
  });
});
