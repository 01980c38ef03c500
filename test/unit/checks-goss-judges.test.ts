import { describe, expect, it } from 'vitest';
import { parseGoss } from '../../lab/checks/goss-load.ts';
import { runGossChecks } from '../../lab/checks/goss-run.ts';
import { boundPorts, decodeAddress } from '../../lab/checks/proc-net.ts';
import { parseMountInfo } from '../../lab/checks/system-probes.ts';
import { scriptedHost, type Answer } from '../fixtures/checks/scripted-host.ts';

/** How the new resource types read a host's answers, and what they ask it: argv arrays only. */

const MOUNTINFO = [
  '78 54 0:40 / / rw,relatime master:2 - overlay overlay rw,lowerdir=/l1:/l2,upperdir=/u,workdir=/w',
  '79 78 0:43 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw',
  '90 78 8:1 / /srv/my\\040data ro,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro',
].join('\n');

const UDP = [
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops',
  '  1: 0100007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000   101        0 1234 2 0 0',
].join('\n');

const TCP = [
  '  sl  local_address rem_address   st',
  '   0: 00000000:0050 00000000:0000 0A 00000000:00000000',
  '   1: 0100007F:1F90 00000000:0000 0A 00000000:00000000',
  '   2: 0200A8C0:0050 0300A8C0:D431 01 00000000:00000000',
].join('\n');

function answers(argv: readonly string[]): Answer {
  const [command, ...rest] = argv;
  const last = rest.at(-1) ?? '';
  if (command === 'cat') {
    const file = last;
    if (file === '/proc/net/tcp') return { stdout: TCP };
    if (file === '/proc/net/udp') return { stdout: UDP };
    if (file === '/proc/self/mountinfo') return { stdout: MOUNTINFO };
    if (file === '/proc/sys/kernel/ostype') return { stdout: 'Linux\n' };
    if (file === '/proc/sys/net/core/somaxconn') return { stdout: '128\n' };
    if (file === '/proc/sys/vm/compact_memory') return { exitCode: 1, stderr: 'cat: /proc/sys/vm/compact_memory: Permission denied\n' };
    if (file === '/sys/class/net/eth0/mtu') return { stdout: '1500\n' };
    return { exitCode: 1, stderr: `cat: ${file}: No such file or directory\n` };
  }
  if (command === 'getent' && rest[0] === 'passwd') return last === 'www-data' ? { stdout: 'www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n' } : { exitCode: 2 };
  if (command === 'getent' && rest[0] === 'group') return last === 'www-data' ? { stdout: 'www-data:x:33:\n' } : { exitCode: 2 };
  if (command === 'id') return { stdout: 'www-data\n' };
  if (command === 'ip') return { stdout: '38: eth0    inet 172.17.0.2/16 brd 172.17.255.255 scope global eth0\\\n38: eth0    inet6 fe80::42:acff:fe11:2/64 scope link\n' };
  if (command === 'timeout' && rest.includes('stat')) return { stdout: '1000 250\n' };
  if (command === 'stat') return { stdout: 'symbolic link\t777\troot\troot\t34\t0\t0\n' };
  if (command === 'readlink') return { stdout: '/etc/nginx/sites-available/default\n' };
  if (command === 'sha256sum') return { stdout: `abc123  ${last}\n` };
  return new Error(`unexpected command ${JSON.stringify(argv)}`);
}

async function run(goss: string, answer: (argv: readonly string[]) => Answer = answers) {
  const { target, calls } = scriptedHost(answer);
  const results = await runGossChecks(parseGoss(goss, 'unit.goss.yaml'), target, { timeoutMs: 2_000 });
  return { results: results.map((r) => [r.id, r.status, r.message]), calls };
}

describe('accounts', () => {
  it('judges a user\'s ids, home, shell and groups, and a group\'s gid, as getent and id report them', async () => {
    const { results } = await run(`
user:
  www-data: {exists: true, uid: 33, gid: {lt: 100}, groups: [www-data], home: /var/www, shell: /bin/bash}
  ghost: {uid: 1000}
  nobody-here: {exists: false}
group:
  www-data: {exists: true, gid: 34}
  ghosts: {exists: false}
`);
    expect(results).toEqual([
      ['user:www-data', 'fail', 'shell: expected "/bin/bash", got "/usr/sbin/nologin"'],
      ['user:ghost', 'fail', 'exists: expected true, got false'],
      ['user:nobody-here', 'pass', ''],
      ['group:www-data', 'fail', 'gid: expected 34, got 33'],
      ['group:ghosts', 'pass', ''],
    ]);
  });
});

describe('kernel parameters', () => {
  it('compares /proc/sys values, numbers as numbers; a write-only one is skipped with the reason, a missing one fails', async () => {
    const { results } = await run(`
kernel-param:
  kernel.ostype: {value: Linux}
  net.core.somaxconn: {value: {gt: 200}}
  vm.compact_memory: {value: "1"}
  net.ipv4.no_such_thing: {value: "1"}
`);
    expect(results).toEqual([
      ['kernel-param:kernel.ostype', 'pass', ''],
      ['kernel-param:net.core.somaxconn', 'fail', 'value: expected to be greater than 200, got "128"'],
      ['kernel-param:vm.compact_memory', 'skip', 'value: vm.compact_memory cannot be read on this host (cat: /proc/sys/vm/compact_memory: Permission denied); a write-only parameter has no value to judge'],
      ['kernel-param:net.ipv4.no_such_thing', 'fail', 'value: the host has no kernel parameter net.ipv4.no_such_thing (no /proc/sys/net/ipv4/no_such_thing)'],
    ]);
  });
});

describe('mounts and interfaces', () => {
  it('reads /proc/self/mountinfo: per-mount opts, the filesystem\'s own vfs-opts, escaped names', () => {
    const mounts = parseMountInfo(MOUNTINFO);
    expect(mounts.get('/srv/my data')).toEqual({ opts: ['ro', 'relatime'], vfsOpts: ['rw', 'errors=remount-ro'], source: '/dev/sda1', filesystem: 'ext4' });
    expect(mounts.get('/')?.filesystem).toBe('overlay');
  });

  it('judges a mount\'s attributes and usage, and an interface\'s mtu and addresses', async () => {
    const { results, calls } = await run(`
mount:
  /srv/my data: {exists: true, opts: [ro], vfs-opts: {contain-element: errors=remount-ro}, source: /dev/sda1, filesystem: ext4, usage: {lt: 70}}
  /proc/: {filesystem: xfs}
  /mnt/none: {exists: false}
interface:
  eth0: {exists: true, mtu: 1500, addrs: {contain-element: {have-prefix: "fe80::"}}}
  eth9: {mtu: 1500}
`);
    expect(results).toEqual([
      ['mount:/srv/my data', 'fail', 'usage: expected to be less than 70, got 75'],
      ['mount:/proc/', 'fail', 'filesystem: expected "xfs", got "proc"'],
      ['mount:/mnt/none', 'pass', ''],
      ['interface:eth0', 'pass', ''],
      ['interface:eth9', 'fail', 'exists: expected true, got false'],
    ]);
    expect(calls).toContainEqual(['timeout', '1.000', 'stat', '-f', '-c', '%b %f', '--', '/srv/my data']);
    expect(calls).toContainEqual(['ip', '-o', 'addr', 'show', 'dev', 'eth0']);
  });
});

describe('ports', () => {
  it('decodes the kernel\'s socket tables: addresses, LISTEN for tcp, any bound socket for udp', () => {
    expect(decodeAddress('0100007F')).toBe('127.0.0.1');
    expect(decodeAddress('00000000000000000000000001000000')).toBe('::1');
    expect(decodeAddress('B80D0120000000000000000001000000')).toBe('2001:db8::1');
    expect([...boundPorts(TCP, 'tcp')]).toEqual([[80, ['0.0.0.0']], [8080, ['127.0.0.1']]]);
    expect([...boundPorts(UDP, 'udp')]).toEqual([[53, ['127.0.0.1']]]);
  });

  it('judges listening and the addresses listened on, udp included', async () => {
    const { results } = await run(`
port:
  tcp:8080: {listening: true, ip: [0.0.0.0]}
  udp:53: {listening: true, ip: [127.0.0.1]}
`);
    expect(results).toEqual([
      ['port:tcp:8080', 'fail', 'ip: expected one to equal "0.0.0.0", got 127.0.0.1'],
      ['port:udp:53', 'pass', ''],
    ]);
  });
});

describe('files', () => {
  it('judges where a link points, ids and checksums', async () => {
    const { results, calls } = await run(`
file:
  /etc/nginx/sites-enabled/default: {filetype: symlink, linked-to: /etc/nginx/sites-available/default, uid: 0, gid: {not: 0}, sha256: abc123}
`);
    expect(results).toEqual([['file:/etc/nginx/sites-enabled/default', 'fail', 'gid: expected to not equal 0, got 0']]);
    expect(calls).toContainEqual(['readlink', '--', '/etc/nginx/sites-enabled/default']);
    expect(calls).toContainEqual(['sha256sum', '--', '/etc/nginx/sites-enabled/default']);
  });
});

describe('addr and dns, from inside the host', () => {
  it('pass each name as an argument of its own to a fixed script, and fail honestly what the host cannot reach', async () => {
    const reach = (argv: readonly string[]): Answer => {
      if (argv.includes('tcp')) return argv.includes('db.internal') ? { exitCode: 1, stderr: 'Name or service not known\n' } : {};
      if (argv.includes('udp')) return { exitCode: 124 };
      if (argv.includes('example.org')) return { stdout: '20 mx2.example.org.\n10 mx1.example.org.\n' };
      return { exitCode: 2, stderr: 'Name or service not known\n' };
    };
    const { results, calls } = await run(
      `
addr:
  tcp://127.0.0.1:80: {reachable: true}
  database: {address: "tcp://db.internal:5432", reachable: true, local-address: 10.0.0.5}
  udp://[::1]:53: {reachable: true, timeout: 200}
dns:
  MX:example.org: {resolvable: true, server: "[2001:db8::53]:5353", addrs: [10 mx1.example.org.]}
  nowhere.invalid: {resolvable: false}
  A:also-nowhere.invalid: {resolvable: true}
`,
      reach,
    );
    expect(results).toEqual([
      ['addr:tcp://127.0.0.1:80', 'pass', ''],
      ['addr:database', 'fail', 'reachable: expected true, got false (Name or service not known)'],
      ['addr:udp://[::1]:53', 'fail', 'reachable: expected true, got false (no connection within 200 ms)'],
      ['dns:MX:example.org', 'pass', ''],
      ['dns:nowhere.invalid', 'pass', ''],
      ['dns:A:also-nowhere.invalid', 'fail', 'resolvable: expected true, got false (Name or service not known)'],
    ]);
    const [connect, database, udp, mx, , typedWithoutServer] = calls;
    expect(connect?.slice(0, 4)).toEqual(['timeout', '3.500', 'perl', '-e']);
    expect(connect?.slice(5)).toEqual(['tcp', '127.0.0.1', '80', '', '0.500']);
    expect(database?.slice(5)).toEqual(['tcp', 'db.internal', '5432', '10.0.0.5', '0.500']);
    expect(udp?.slice(5)).toEqual(['udp', '::1', '53', '', '0.200']);
    expect(mx?.slice(5)).toEqual(['example.org', 'MX', '2001:db8::53', '5353', '0.500']);
    // goss asks for a record type only of a server; without one, the system resolver answers for the name.
    expect(typedWithoutServer?.slice(5)).toEqual(['also-nowhere.invalid', '', '', '53', '0.500']);
  });
});

describe('matching', () => {
  it('compares the file\'s own content and asks the host nothing', async () => {
    const { results, calls } = await run(`
matching:
  count: {content: "42", matches: {and: [42, {gt: 40}]}}
  status: {content: FAIL, matches: [{not: FAIL}]}
`);
    expect(results).toEqual([
      ['matching:count', 'pass', ''],
      ['matching:status', 'fail', 'matches: expected to contain elements (not equal "FAIL"), got "FAIL"'],
    ]);
    expect(calls).toEqual([]);
  });
});
