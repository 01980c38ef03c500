import { describe, expect, it } from 'vitest';
import { CACHE_MOUNT } from '../../lab/patches/apt-install.ts';
import type { PreparedPatch } from '../../rollout/fleets/containers/prepared-patch.ts';
import { AptTransaction, parseTransactionState } from '../../rollout/fleets/ssh/apt-transaction.ts';
import { describeManagers, parsePackageManagers } from '../../rollout/fleets/ssh/other-apt.ts';
import { rebootAsPolicy, type Rebootable } from '../../rollout/fleets/ssh/reboot.ts';
import { PARTLY_PATCHED, recordsFolder, restoreTarget, unexpectedVersions, versionFrom } from '../../rollout/fleets/ssh/server-records.ts';
import { localPathOf, parseSha256sum } from '../../rollout/fleets/ssh/staging.ts';
import { scriptedHost } from '../fixtures/checks/scripted-host.ts';

const prepared: PreparedPatch = {
  name: '2 package updates',
  version: 'patch-1',
  baseVersion: 'base-1',
  packages: [{ name: 'tzdata', from: '2024a-0', to: '2025b-0' }, { name: 'libnew1', to: '1.0' }],
  installFiles: [],
  removals: ['libold0'],
  baseVersions: {},
  faultDebs: {},
};
const versions = (entries: Record<string, string>) => new Map(Object.entries(entries));

describe('what a rollout records on a server', () => {
  it('names its folder by a hash: no rollout id, however written, becomes a path', () => {
    expect(recordsFolder('../../etc; rm -rf /')).toMatch(/^\/var\/lib\/patchlab\/rollouts\/[0-9a-f]{16}$/);
    expect(recordsFolder('a')).not.toBe(recordsFolder('b'));
  });

  it('tells the patch, the base and anything between from dpkg\'s versions', () => {
    expect(versionFrom(versions({ tzdata: '2025b-0', libnew1: '1.0' }), prepared)).toBe('patch-1');
    expect(versionFrom(versions({ tzdata: '2024a-0' }), prepared)).toBe('base-1');
    expect(versionFrom(versions({ tzdata: '2025b-0' }), prepared)).toBe(PARTLY_PATCHED);
    expect(unexpectedVersions(versions({ tzdata: '2023c-0', libnew1: '0.9' }), prepared)).toEqual([
      'tzdata 2023c-0 where the patch expects 2024a-0',
      'libnew1 0.9 where the patch expects (not installed)',
    ]);
  });

  it('a rollback puts back only what the patch touched: other changes on the server since are not the rollout\'s', () => {
    const before = versions({ tzdata: '2024a-0', libold0: '0.1', curl: '7.0', nginx: '1.22' });
    const now = versions({ tzdata: '2025b-0', libnew1: '1.0', 'patchlab-nginx-tuning': '1.0-1', curl: '7.1', nginx: '1.22' });
    expect(restoreTarget(before, now, prepared)).toEqual(versions({ tzdata: '2024a-0', libold0: '0.1', curl: '7.1', nginx: '1.22' }));
  });
});

describe('an apt transaction on a server', () => {
  it('reads the record\'s state', () => {
    expect(parseTransactionState('none\n')).toEqual({ kind: 'none' });
    expect(parseTransactionState('running 4242')).toEqual({ kind: 'running', pid: 4242 });
    expect(parseTransactionState('ended 100')).toEqual({ kind: 'ended', status: 100 });
    expect(parseTransactionState('vanished')).toEqual({ kind: 'vanished' });
    expect(() => parseTransactionState('sudo: a password is required')).toThrow(/unexpected answer/);
  });

  it('starts apt detached with its words as arguments of a fixed script, and a second caller only waits', async () => {
    let started = false;
    const { target, calls } = scriptedHost((argv) => {
      const script = argv[2] ?? '';
      if (script.includes('setsid')) {
        const first = !started;
        started = true;
        return { exitCode: first ? 0 : 75 };
      }
      if (script.includes('kill -0')) return { stdout: 'ended 0\n' };
      if (argv[0] === 'tail') return { stdout: 'Setting up tzdata (2025b-0) ...\n' };
      return {};
    });
    const transaction = new AptTransaction(target.host, '/var/lib/patchlab/rollouts/abc/patch', { timeoutMs: 60_000, pollMs: 1 });
    const host = transaction.host();
    const hostile = "/var/cache/patchlab/archives/x'; reboot; '.deb";
    const first = await host.exec(['apt-get', '-y', 'install', hostile]);
    expect(first).toMatchObject({ exitCode: 0, stdout: 'Setting up tzdata (2025b-0) ...\n' });
    const launch = calls.find((c) => (c[2] ?? '').includes('setsid')) ?? [];
    expect(launch.slice(0, 2)).toEqual(['sh', '-c']);
    expect(launch.slice(3)).toEqual(['sh', '/var/lib/patchlab/rollouts/abc/patch', 'timeout', '--kill-after=10', '60s', 'apt-get', '-y', 'install', hostile]);
    expect(launch[2]).not.toContain(hostile);
    // Anything but apt-get goes to the server as it is.
    await host.exec(['apt-mark', 'showauto']);
    expect(calls.at(-1)).toEqual(['apt-mark', 'showauto']);
    expect((await host.exec(['apt-get', '-y', 'install', hostile])).exitCode).toBe(0);
    expect(calls.filter((c) => (c[2] ?? '').includes('setsid'))).toHaveLength(2);
  });

  it('a transaction that vanished without a status is a failure that says so', async () => {
    const { target } = scriptedHost((argv) => ((argv[2] ?? '').includes('kill -0') ? { stdout: 'vanished\n' } : {}));
    const result = await new AptTransaction(target.host, '/x/patch', { timeoutMs: 1_000, pollMs: 1 }).run(['apt-get', 'install']);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/ended without an exit status: it was killed, or the server restarted during it/);
  });
});

describe('another apt at work', () => {
  it('lists package managers with their command lines', () => {
    const found = parsePackageManagers('812\tapt-get install -y /tmp/slow.deb \n77\tdpkg --status-fd 35 --configure x\nnoise\n');
    expect(found).toEqual([
      { pid: 77, command: 'dpkg --status-fd 35 --configure x' },
      { pid: 812, command: 'apt-get install -y /tmp/slow.deb' },
    ]);
    expect(describeManagers(found)).toBe('pid 77 (dpkg --status-fd 35 --configure x), pid 812 (apt-get install -y /tmp/slow.deb)');
  });
});

describe('staging the patch on a server', () => {
  it('maps cache paths to this machine and refuses any other', () => {
    expect(localPathOf('/srv/cache', `${CACHE_MOUNT}/archives/tzdata_1_all.deb`)).toBe('/srv/cache/archives/tzdata_1_all.deb');
    expect(() => localPathOf('/srv/cache', '/etc/shadow')).toThrow(/not a path in the package cache/);
    expect(() => localPathOf('/srv/cache', `${CACHE_MOUNT}/../../etc/shadow`)).toThrow(/not a path in the package cache/);
  });

  it('reads sha256sum, a missing file being no line', () => {
    const sum = 'a'.repeat(64);
    expect(parseSha256sum(`${sum}  /var/cache/patchlab/archives/a.deb\n`)).toEqual(new Map([['/var/cache/patchlab/archives/a.deb', sum]]));
  });
});

describe('rebooting a server as its ring says', () => {
  function server(script: { bootIds: string[]; kernel: string; newest: string; required?: boolean; comesBack?: boolean }): Rebootable & { calls: string[][] } {
    const calls: string[][] = [];
    let boots = 0;
    let rebooted = false;
    return {
      name: 'srv1',
      calls,
      async exec(argv) {
        calls.push([...argv]);
        const text = argv.join(' ');
        const ok = (stdout = '') => ({ exitCode: 0, stdout, stderr: '', durationMs: 1, timedOut: false });
        if (argv[0] === 'test') return { ...ok(), exitCode: script.required ? 0 : 1 };
        if (text.includes('boot_id')) return ok(`${script.bootIds[rebooted ? Math.min(++boots, script.bootIds.length - 1) : 0]}\n`);
        if (text.includes('vmlinuz')) return ok(`${script.newest}\n`);
        if (text.includes('reboot')) {
          rebooted = true;
          return ok();
        }
        if (argv[0] === 'uname') return ok(`${script.kernel}\n`);
        return ok();
      },
      async answersWithin() {
        return script.comesBack === false ? { ok: false, last: new Error('srv1 is unreachable: Connection refused') } : { ok: true };
      },
    };
  }

  it('never, and if-required with nothing requiring it, do not reboot', async () => {
    const s = server({ bootIds: ['a'], kernel: '6.1.0-1', newest: '6.1.0-1' });
    expect(await rebootAsPolicy(s, 'never', 1_000, 1)).toMatchObject({ kind: 'not-needed' });
    expect(await rebootAsPolicy(s, 'if-required', 1_000, 1)).toEqual({ kind: 'not-needed', why: 'no package asked for a reboot (/var/run/reboot-required)' });
    expect(s.calls.some((c) => c.join(' ').includes('reboot;'))).toBe(false);
  });

  it('always reboots, waits for a new boot, and checks it runs the newest kernel', async () => {
    const good = await rebootAsPolicy(server({ bootIds: ['a', 'a', 'b'], kernel: '6.1.0-2', newest: '6.1.0-2' }), 'always', 5_000, 1);
    expect(good).toMatchObject({ kind: 'rebooted', kernel: '6.1.0-2' });
    const stale = await rebootAsPolicy(server({ bootIds: ['a', 'b'], kernel: '6.1.0-1', newest: '6.1.0-2', required: true }), 'if-required', 5_000, 1);
    expect(stale).toEqual({ kind: 'failed', reason: 'reboot (if-required): srv1 came back on kernel 6.1.0-1, but the newest installed is 6.1.0-2' });
    const gone = await rebootAsPolicy(server({ bootIds: ['a'], kernel: '', newest: '', comesBack: false }), 'always', 5_000, 1);
    expect(gone).toEqual({ kind: 'failed', reason: 'reboot (always): srv1 was not back on a new boot within 5 s (srv1 is unreachable: Connection refused)' });
    // A container "server" cannot reboot: its boot id never changes, and that is what it says.
    const container = await rebootAsPolicy(server({ bootIds: ['a'], kernel: '6.1.0-1', newest: '' }), 'always', 50, 1);
    expect(container).toMatchObject({ kind: 'failed', reason: expect.stringMatching(/was not back on a new boot within 0 s \(it still answered on the same boot\)/) });
  });
});
