import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadGossFile, parseGoss } from '../../lab/checks/goss-load.ts';
import { InputError } from '../../lab/config/validation.ts';

/**
 * Every resource type and attribute of goss's manual (https://goss.rocks, "gossfile") loads;
 * what goss does not have is refused with the file, the path and what was expected.
 */

const fixture = join(import.meta.dirname, '..', 'fixtures', 'project', 'checks', 'full.goss.yaml');

/** One resource of each type with every attribute the manual gives it, values as the manual writes them. */
const MANUAL: Record<string, Record<string, Record<string, unknown>>> = {
  addr: { 'tcp://ip-address-or-domain-name:80': { reachable: true, address: 'tcp://ip-address-or-domain-name:80', timeout: 500, 'local-address': '127.0.0.1' } },
  command: { 'go version': { 'exit-status': 0, exec: 'go version', stdout: ['go version go1.6 linux/amd64'], stderr: [], timeout: 10000, skip: false } },
  dns: { localhost: { resolvable: true, resolve: 'localhost', addrs: ['127.0.0.1', '::1'], server: '8.8.8.8', timeout: 500 } },
  file: {
    '/etc/passwd': {
      exists: true, path: '/etc/passwd', mode: '0644', size: 2118, owner: 'root', group: 'root', filetype: 'file', contents: [],
      md5: '7c9bb14b3bf178e82c00c2a4398c93cd', sha256: '7f78ce27859049f725936f7b52c6e25d774012947d915e7b394402cfceb70c4c',
      sha512: 'cb71b1940dc879a3688bd502846bff6316dd537bbe917484964fe0f098e9245d80958258dc3bd6297bf42d5bd978cbe2c03d077d4ed45b2b1ed9cd831ceb1bd0',
    },
    '/etc/alternatives/mta': { exists: true, filetype: 'symlink', 'linked-to': '/usr/sbin/sendmail.sendmail', skip: false },
  },
  group: { nfsnobody: { exists: true, groupname: 'nfsnobody', gid: 65534, skip: false } },
  http: {
    'https://www.google.com': {
      status: 200, url: 'https://www.google.com', 'allow-insecure': false, 'no-follow-redirects': false, timeout: 1000,
      'request-headers': ['Content-Type: text/html'], headers: [], 'request-body': '{"key": "value"}', body: [], username: '', password: '',
      'ca-file': '/etc/ssl/cert.pem', 'cert-file': '/etc/ssl/client.pem', 'key-file': '/etc/ssl/client.key', proxy: '', skip: false, method: 'PUT',
    },
  },
  interface: { eth0: { exists: true, name: 'eth0', addrs: ['172.17.0.2/16', 'fe80::42:acff:fe11:2/64'], mtu: 1500 } },
  'kernel-param': { 'kernel.ostype': { value: 'Linux', name: 'kernel.ostype' } },
  matching: {
    has_substr: { content: 'some string', matches: { 'match-regexp': 'some str' } },
    has_2: { content: [2], matches: { 'contain-element': 2 } },
    has_foo_bar_and_baz: { content: { foo: 'bar', baz: 'bing' }, matches: { and: [{ 'have-key': 'baz' }] } },
  },
  mount: {
    '/home': {
      exists: true, timeout: 1000, mountpoint: '/home', opts: ['rw', 'relatime'], 'vfs-opts': ['rw'], source: '/dev/mapper/fedora-home',
      filesystem: 'xfs', usage: { lt: 95 },
    },
  },
  package: { httpd: { installed: true, name: 'httpd', versions: ['2.2.15'], skip: false } },
  port: { 'tcp:22': { listening: true, port: 'tcp:22', ip: ['0.0.0.0'], skip: false } },
  process: { chrome: { running: true, comm: 'chrome', skip: false } },
  service: { sshd: { name: 'sshd', enabled: true, running: true, runlevels: ['3', '4', '5'], skip: false } },
  user: {
    nfsnobody: { exists: true, username: 'nfsnobody', uid: 65534, gid: 65534, groups: ['nfsnobody'], home: '/var/lib/nfs', shell: '/sbin/nologin', skip: false },
  },
};

function problemsOf(text: string, file = 'checks/team.goss.yaml'): string[] {
  try {
    parseGoss(text, file);
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return [...(error as InputError).problems];
  }
  throw new Error('expected the goss text to be refused');
}

describe('goss\'s manual, type by type', () => {
  it('loads every attribute of every resource type as the manual writes it', () => {
    const spec = parseGoss(stringify(MANUAL), 'manual.goss.yaml');
    expect(new Set(spec.checks.map((c) => c.kind))).toEqual(new Set(Object.keys(MANUAL).filter((t) => t !== 'gossfile')));
  });

  it('loads title and meta on every resource, as goss add writes them', () => {
    const doc = Object.fromEntries(Object.entries(MANUAL).map(([type, group]) => [type, Object.fromEntries(
      Object.entries(group).map(([key, attrs]) => [key, { ...attrs, title: `${type} check`, meta: { owner: 'ops', ticket: 42 } }]),
    )]));
    expect(() => parseGoss(stringify(doc), 'titled.goss.yaml')).not.toThrow();
  });

  it('loads the team fixture: all sixteen types, its include read and its skipped include not', () => {
    const spec = loadGossFile(fixture);
    expect(new Set(spec.checks.map((c) => c.kind)).size).toBe(15);
    expect(spec.checks.map((c) => `${c.kind}:${c.key}`)).toEqual(expect.arrayContaining(['user:www-data', 'group:shadow']));
    expect(spec.checks.some((c) => c.key === 'never-read')).toBe(false);
  });

  it.each(Object.keys(MANUAL))('refuses an attribute %s does not have, listing those it has', (type) => {
    const [key] = Object.keys(MANUAL[type] as object);
    const problems = problemsOf(stringify({ [type]: { [key as string]: { ...MANUAL[type]?.[key as string], colour: 'blue' } } }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${type}\\..*\\.colour: unknown attribute, expected one of .*title, meta, skip$`));
  });

  it('refuses a resource type goss does not have, naming the sixteen it has', () => {
    expect(problemsOf('registry:\n  HKLM\\Software: {exists: true}\n')).toEqual([
      'registry: unknown resource type, expected one of addr, command, dns, file, gossfile, group, http, interface, kernel-param, matching, mount, package, port, process, service, user',
    ]);
  });
});

describe('the names a resource gives are checked when loading', () => {
  it.each([
    ['addr:\n  localhost:80: {reachable: true}\n', 'addr.localhost:80: expected tcp://HOST:PORT or udp://HOST:PORT, with PORT from 1 to 65535'],
    ['addr:\n  db: {address: "tcp://db:99999", reachable: true}\n', 'addr.db.address: expected tcp://HOST:PORT or udp://HOST:PORT, with PORT from 1 to 65535'],
    ['addr:\n  tcp://db:5432: {reachable: true, local-address: "10.0.0.1; reboot"}\n', 'addr.tcp://db:5432.local-address: expected a local IP address or host name'],
    ['dns:\n  SPF:example.com: {resolvable: true, server: 8.8.8.8}\n', 'dns.SPF:example.com: expected a record type among A, AAAA, CAA, CNAME, MX, NS, PTR, SRV, TXT, got SPF'],
    ['dns:\n  example.com: {resolvable: true, server: "8.8.8.8:dns"}\n', 'dns.example.com.server: expected a DNS server as HOST, HOST:PORT or [IPv6]:PORT'],
    ['kernel-param:\n  ../../etc/passwd: {value: x}\n', 'kernel-param.../../etc/passwd: expected a kernel parameter such as net.ipv4.ip_forward'],
    ['interface:\n  a-very-long-interface-name: {exists: true}\n', 'interface.a-very-long-interface-name: expected a network interface name such as eth0 (at most 15 characters)'],
    ['user:\n  "root:x": {exists: true}\n', 'user.root:x: expected a user name (no spaces, colons or slashes)'],
    ['mount:\n  home: {exists: true}\n', 'mount.home: expected an absolute path'],
    ['file:\n  passwd: {path: etc/passwd, exists: true}\n', 'file.passwd.path: expected an absolute path'],
    ['http:\n  intranet: {url: ftp://files/, status: 200}\n', 'http.intranet.url: expected an http:// or https:// URL'],
  ])('%s', (text, problem) => {
    expect(problemsOf(text)).toEqual([problem]);
  });

  it('takes the attribute that names the target over the key, which is then only a label', () => {
    expect(() => parseGoss('file:\n  the password file: {path: /etc/passwd, exists: true}\nport:\n  ssh: {port: "tcp:22", listening: true}\n', 'x.yaml')).not.toThrow();
  });

  it('refuses attributes that only work together, or contradict', () => {
    expect(problemsOf('http:\n  https://x/: {status: 200, cert-file: /c.pem}\n')).toEqual(['http.https://x/: expected cert-file and key-file together (a client certificate needs its key)']);
    expect(problemsOf('dns:\n  x: {resolvable: true, resolveable: true}\n')).toEqual(['dns.x: expected either resolvable or its older spelling resolveable, not both']);
    expect(problemsOf('matching:\n  m: {content: 1}\n')).toEqual(['matching.m.matches: expected what the content must match (a value, a list or a matcher map), got nothing']);
  });
});
