import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseGoss } from '../../lab/checks/goss-load.ts';
import { runGossChecks } from '../../lab/checks/goss-run.ts';
import { parseStat, PROCESS_LISTING, runningProcessNames } from '../../lab/checks/host-probes.ts';
import { reachOnHost } from '../../lab/checks/http-probe.ts';
import { scriptedHost, type Answer } from '../fixtures/checks/scripted-host.ts';

const PROC_STAT = [
  '1 (sh) S 0 1 1 0 -1',
  '21 (nginx) S 1 21 21 0 -1',
  '22 (nginx) S 21 21 21 0 -1',
  '40 (a) b) c) R 1 40 40 0 -1',
  '41 (postgres) Z 1 41 41 0 -1',
  '42 (systemd-journald) S 1 42 42 0 -1',
].join('\n');

describe('what the probes read', () => {
  it('takes command names from /proc/PID/stat, with spaces and parentheses, and leaves zombies out', () => {
    expect([...runningProcessNames(PROC_STAT)].sort()).toEqual(['a) b) c', 'nginx', 'sh', 'systemd-journald']);
  });

  it("leaves out the probe's own processes and a lab container's idle PID 1 with its sleep, and only those", () => {
    const sleeping = ['7 (sleep) S 1 1 1 0 -1', '8 (sleep) S 21 21 21 0 -1', '50 (timeout) S 0 50 50 0 -1', '51 (sh) S 50 50 50 0 -1', '52 (cat) R 51 50 50 0 -1'].join('\n');
    const idle = 'init: /bin/sh -c trap "exit 0" TERM INT; while :; do sleep 3600 & wait $!; done ';
    expect([...runningProcessNames(`own: 52 51 50\n${idle}\n${PROC_STAT}\n${sleeping}`)].sort()).toEqual(['a) b) c', 'nginx', 'sleep', 'systemd-journald']);
    // Kept check shells (another fleet's too) and whatever runs under them.
    const kept = ['60 (sh) S 0 60 60 0 -1', '61 (sh) S 60 60 60 0 -1', '62 (timeout) S 61 60 60 0 -1', '63 (nginx) S 62 60 60 0 -1'].join('\n');
    expect([...runningProcessNames(`own: 52 51 50\nkept: /proc/60/cmdline\n${idle}\n${PROC_STAT}\n${sleeping}\n${kept}`)].sort()).toEqual(['a) b) c', 'nginx', 'sleep', 'systemd-journald']);
    expect([...runningProcessNames(`own: 52 51 50\nkept:\n${idle}\n${kept}`)].sort()).toEqual(['nginx', 'sh', 'timeout']);
    // PID 1 of a host's own (a server's init, an image's own entry point) stays, with its children.
    expect([...runningProcessNames(`own: 52\ninit: /sbin/init \n${PROC_STAT}\n${sleeping}`)].sort()).toEqual(['a) b) c', 'nginx', 'sh', 'sleep', 'systemd-journald', 'timeout']);
  });

  it('reads stat -c lines', () => {
    expect(parseStat('regular file\t644\troot\tadm\t1024\t0\t4\n')).toEqual({ filetype: 'file', mode: 0o644, owner: 'root', group: 'adm', size: 1024, uid: 0, gid: 4 });
    expect(parseStat('symbolic link\t777\troot\troot\t34\t0\t0\n').filetype).toBe('symlink');
    expect(parseStat('directory\t1777\troot\troot\t4096\t0\t0\n')).toMatchObject({ filetype: 'directory', mode: 0o1777 });
  });

  it('points localhost URLs at the host under test and leaves other names alone', () => {
    const reach = (url: string, address: string) => reachOnHost(new URL(url), address);
    expect(reach('http://localhost/healthz', '172.17.0.3')).toEqual({ address: '172.17.0.3', port: 80 });
    expect(reach('http://127.0.0.1:8080/x?y=1', '172.17.0.3')).toEqual({ address: '172.17.0.3', port: 8080 });
    expect(reach('http://[::1]/', 'fd00::3')).toEqual({ address: 'fd00::3', port: 80 });
    expect(reach('https://intranet.example/', '172.17.0.3')).toEqual({ address: 'intranet.example', port: 443 });
    // A VM host forwards its ports elsewhere on loopback.
    expect(reachOnHost(new URL('http://localhost/'), '127.0.0.1', (port) => ({ address: '127.0.0.1', port: port + 40000 }))).toEqual({ address: '127.0.0.1', port: 40080 });
  });
});

describe('runGossChecks on a scripted host', () => {
  const answers = (argv: readonly string[]): Answer => {
    const [command, ...rest] = argv;
    if (command === 'dpkg-query') {
      return rest.at(-1) === 'nginx-light'
        ? { stdout: 'installed\t1.22.1-9+deb12u9\n' }
        : { exitCode: 1, stderr: `dpkg-query: no packages found matching ${rest.at(-1)}\n` };
    }
    if (command === 'sh' && rest[1] === PROCESS_LISTING) return { stdout: PROC_STAT };
    if (command === 'cat' && rest[0] === '/proc/net/tcp') {
      return { stdout: '  sl  local_address rem_address   st\n   0: 00000000:0050 00000000:0000 0A 00000000:00000000\n' };
    }
    if (command === 'cat' && rest[0] === '/proc/net/tcp6') return { exitCode: 1, stderr: 'cat: /proc/net/tcp6: No such file or directory\n' };
    if (command === 'stat') {
      if (rest.at(-1) === '/etc/nginx/nginx.conf') return { stdout: 'regular file\t644\troot\troot\t1490\n' };
      return { exitCode: 1, stderr: `stat: cannot statx '${rest.at(-1)}': No such file or directory\n` };
    }
    if (command === 'cat' && rest.at(-1) === '/etc/nginx/nginx.conf') return { stdout: 'user www-data;\nworker_processes auto;\n' };
    if (command === 'sh' && rest[0] === '-c') {
      if (rest[1] === 'nginx -t') return { exitCode: 1, stderr: 'nginx: [emerg] unexpected "}"\nnginx: configuration file /etc/nginx/nginx.conf test failed\n' };
      if (rest[1] === 'sleep 60') return { exitCode: 124, timedOut: true, durationMs: 1000 };
      return { stdout: `ran ${rest[1]}\n` };
    }
    return new Error(`unexpected command ${JSON.stringify(argv)}`);
  };

  const run = async (goss: string, answer = answers) => {
    const { target, calls } = scriptedHost(answer);
    return { results: await runGossChecks(parseGoss(goss, 'unit.goss.yaml'), target, { timeoutMs: 2_000 }), calls };
  };

  it('passes what holds and says, for what does not, what was expected and what was found', async () => {
    const { results } = await run(`
package:
  nginx-light: {installed: true, versions: ["1.22.1-9+deb12u9"]}
  apache2: {installed: true}
  telnetd: {installed: false}
process:
  nginx: {running: true}
  postgres: {running: true}
port:
  tcp:80: {listening: true}
  "443": {listening: true}
  tcp6:80: {listening: true}
file:
  /etc/nginx/nginx.conf: {exists: true, mode: "0640", owner: root, filetype: file, contents: [worker_processes, "!/^daemon off/"]}
  /etc/gone: {exists: false}
  /etc/missing: {owner: root}
`);
    expect(results.map((r) => [r.id, r.status, r.message])).toEqual([
      ['package:nginx-light', 'pass', ''],
      ['package:apache2', 'fail', 'installed: expected true, got false'],
      ['package:telnetd', 'pass', ''],
      ['process:nginx', 'pass', ''],
      ['process:postgres', 'fail', 'running: expected true, got false'],
      ['port:443', 'fail', 'listening: expected true, got false'],
      ['port:tcp:80', 'pass', ''],
      ['port:tcp6:80', 'fail', 'listening: expected true, got false'],
      ['file:/etc/nginx/nginx.conf', 'fail', 'mode: expected "0640", got "0644"'],
      ['file:/etc/gone', 'pass', ''],
      ['file:/etc/missing', 'fail', 'exists: expected true, got false'],
    ]);
    expect(results.find((r) => r.id === 'process:postgres')?.evidence?.output).toBe('processes: a) b) c, nginx, sh, systemd-journald');
  });

  it('compares package versions exactly, as goss does', async () => {
    const { results } = await run('package:\n  nginx-light: {versions: ["1.22.1-9"]}\n');
    expect(results[0]).toMatchObject({ status: 'fail', message: 'versions: expected one to equal "1.22.1-9", got 1.22.1-9+deb12u9' });
  });

  it('runs a command check as sh -c with the command as one argument, never spliced into another string', async () => {
    const hostile = `echo "$(id)"; touch /tmp/x && printf '%s' \`uname\``;
    const { results, calls } = await run(`command:\n  '${hostile.replace(/'/g, "''")}': {exit-status: 0, stdout: [ran]}\n`);
    expect(calls).toEqual([['sh', '-c', hostile]]);
    expect(results[0]).toMatchObject({ id: `command:${hostile}`, status: 'pass' });
  });

  it('reports a failing command with its exit status, the last line it printed on stderr, and its output as evidence', async () => {
    const { results } = await run('command:\n  nginx -t: {exit-status: 0}\n');
    expect(results[0]?.status).toBe('fail');
    expect(results[0]?.message).toBe('exit-status: expected 0, got 1 (stderr: "nginx: configuration file /etc/nginx/nginx.conf test failed")');
    expect(results[0]?.evidence?.output).toContain('[emerg] unexpected "}"');
  });

  it('runs `exec` when given, and keeps the key as the id', async () => {
    const { results, calls } = await run('command:\n  say hello: {exec: echo hello, stdout: [hello]}\n');
    expect(calls).toEqual([['sh', '-c', 'echo hello']]);
    expect(results[0]).toMatchObject({ id: 'command:say hello', status: 'pass' });
  });

  it('calls a command that hangs an error, with timedOut and a message naming the host and the command', async () => {
    const { results } = await run('command:\n  sleep 60: {exit-status: 0, timeout: 1000}\n');
    expect(results[0]).toMatchObject({
      id: 'command:sleep 60',
      status: 'error',
      timedOut: true,
      message: 'on host patched (fake-1): command "sleep 60" timed out after 1000 ms',
    });
  });

  it('calls a check error when the host cannot run the probe at all', async () => {
    const { results } = await run('package:\n  nginx-light: {installed: true}\n', () => new Error('container is not running'));
    expect(results[0]).toMatchObject({ status: 'error', message: expect.stringMatching(/^on host patched \(fake-1\): \["dpkg-query".*could not run: container is not running$/) });
    expect(results[0]?.timedOut).toBeUndefined();
  });

  it('skips what says skip, and a service\'s enabled, which a container cannot show; running is judged by process name', async () => {
    const { results, calls } = await run(`
service:
  nginx: {running: true, enabled: true}
  cron: {enabled: true}
package:
  apache2: {installed: true, skip: true}
`);
    expect(results.map((r) => [r.id, r.status])).toEqual([
      ['package:apache2', 'skip'],
      ['service:nginx', 'pass'],
      ['service:nginx:enabled', 'skip'],
      ['service:cron:enabled', 'skip'],
    ]);
    expect(results[2]?.message).toMatch(/^enabled: not observable in a container/);
    expect(results[0]?.message).toBe('skip: true in the goss file');
    expect(calls.filter(([c]) => c === 'dpkg-query')).toEqual([]);
  });

  it('gives twin hosts the same ids in the same order, whatever their answers', async () => {
    const goss = 'package:\n  nginx-light: {installed: true}\nprocess:\n  nginx: {running: true}\ncommand:\n  nginx -t: {exit-status: 0}\n';
    const healthy = await run(goss);
    const broken = await run(goss, () => ({ exitCode: 2, stderr: 'broken' }));
    expect(broken.results.map((r) => r.id)).toEqual(healthy.results.map((r) => r.id));
  });
});

describe('http checks, against a local server', () => {
  let server: Server;
  let port: number;

  beforeAll(async () => {
    server = createServer((request, response) => {
      if (request.url === '/healthz') return void response.end('ok\n');
      if (request.url === '/broken') return void response.writeHead(502, { 'content-type': 'text/html' }).end('<h1>502 Bad Gateway</h1>');
      if (request.url === '/slow') return void setTimeout(() => response.end('late'), 3_000);
      if (request.url === '/moved') return void response.writeHead(301, { location: '/healthz' }).end();
      if (request.url === '/echo') {
        let body = '';
        request.on('data', (chunk: Buffer) => (body += chunk.toString()));
        return void request.on('end', () => response.end(`${request.method} ${request.headers['x-probe']} ${body}`));
      }
      response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const run = (goss: string) => runGossChecks(parseGoss(goss.replaceAll('PORT', String(port)), 'http.goss.yaml'), scriptedHost(() => ({})).target);

  it('passes a healthy endpoint and measures its latency', async () => {
    const [result] = await run('http:\n  http://localhost:PORT/healthz: {status: 200, body: [ok]}\n');
    expect(result).toMatchObject({ id: `http:http://localhost:${port}/healthz`, status: 'pass', message: '' });
    expect(result?.metrics?.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('says which status and body it expected and what it got', async () => {
    const [result] = await run('http:\n  http://localhost:PORT/broken: {status: 200, body: ["IT service desk"], headers: ["Content-Type: text/html"]}\n');
    expect(result?.status).toBe('fail');
    expect(result?.message).toBe('status: expected 200, got 502; body: expected to contain "IT service desk", got "<h1>502 Bad Gateway</h1>"');
  });

  it('sends method, request headers and body, and can leave redirects alone', async () => {
    const results = await run(`
http:
  http://localhost:PORT/echo: {method: POST, request-headers: ["X-Probe: yes"], request-body: name=Ada, body: [POST yes name=Ada]}
  http://localhost:PORT/moved: {status: 301, no-follow-redirects: true}
`);
    expect(results.map((r) => [r.status, r.message])).toEqual([
      ['pass', ''],
      ['pass', ''],
    ]);
  });

  it('calls a host that does not answer a failure, and says why', async () => {
    const closed = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const free = (probe.address() as AddressInfo).port;
        probe.close(() => resolve(free));
      });
    });
    const [result] = await run(`http:\n  http://localhost:${closed}/healthz: {status: 200}\n`);
    expect(result?.status).toBe('fail');
    expect(result?.message).toBe(`GET http://localhost:${closed}/healthz: no answer: connect ECONNREFUSED 127.0.0.1:${closed}`);
  });

  it('calls an answer slower than the timeout an error, with timedOut, naming the host and the request', async () => {
    const [result] = await run('http:\n  http://localhost:PORT/slow: {status: 200, timeout: 300}\n');
    expect(result).toMatchObject({
      status: 'error',
      timedOut: true,
      message: `on host patched (fake-1): GET http://localhost:${port}/slow timed out after 300 ms`,
    });
    expect(result?.durationMs).toBeLessThan(2_000);
  });
});
