import { describe, expect, it } from 'vitest';
import { needsSudo, serverConnection } from '../../lab/hosts/ssh/server-connection.ts';
import { classifySshFailure, sudoRefused } from '../../lab/hosts/ssh/ssh-failure.ts';

describe('ssh options for a team\'s server', () => {
  const option = (args: string[], name: string) => args.find((a, i) => args[i - 1] === '-o' && a.startsWith(`${name}=`));

  it('never prompt, check host keys strictly, bound the connect, share a master in a private folder', () => {
    const args = serverConnection({ name: 'web01', address: '10.0.0.5' }, {}, '/tmp/patchlab-ssh-x', false).args([]);
    expect(option(args, 'BatchMode')).toBe('BatchMode=yes');
    expect(option(args, 'StrictHostKeyChecking')).toBe('StrictHostKeyChecking=yes');
    expect(option(args, 'ConnectTimeout')).toBe('ConnectTimeout=10');
    expect(option(args, 'ControlPath')).toBe('ControlPath=/tmp/patchlab-ssh-x/%C');
    // Whatever ssh config, agent and known_hosts say still applies: no -F, no key, no user, no known_hosts file of ours.
    expect(args).not.toContain('-F');
    expect(args.some((a) => /UserKnownHostsFile|IdentitiesOnly/.test(a))).toBe(false);
    expect(args.slice(-2)).toEqual(['--', '10.0.0.5']);
  });

  it('pass what the inventory sets, and extra options before the destination', () => {
    const connection = serverConnection(
      { name: 'db', address: 'db.internal', port: 2222, user: 'deploy', keyFile: '~/.ssh/fleet' },
      { configFile: '/etc/patchlab/ssh_config', hostKeys: 'accept-new', connectTimeoutSeconds: 3 },
      '/tmp/c',
      true,
    );
    const args = connection.args(['-O', 'exit']);
    expect(args.slice(0, 2)).toEqual(['-F', '/etc/patchlab/ssh_config']);
    expect(option(args, 'StrictHostKeyChecking')).toBe('StrictHostKeyChecking=accept-new');
    expect(args.join(' ')).toContain('-p 2222 -l deploy -i ~/.ssh/fleet -O exit -- db.internal');
    expect(connection.viaSudo).toBe(true);
  });

  it('refuse an address or user ssh would read as an option', () => {
    expect(() => serverConnection({ name: 'x', address: '-oProxyCommand=sh' }, {}, '/tmp/c', false)).toThrow(/is not a host name or address/);
    expect(() => serverConnection({ name: 'x', address: 'a', user: 'root@b' }, {}, '/tmp/c', false)).toThrow(/is not a user name/);
    expect(() => serverConnection({ name: 'x', address: 'a', port: 0 }, {}, '/tmp/c', false)).toThrow(/not a port number/);
  });

  it('use sudo for a login that is not root, unless the inventory says become: false', () => {
    expect(needsSudo({ name: 'a', address: 'a' }, 'root')).toBe(false);
    expect(needsSudo({ name: 'a', address: 'a' }, 'deploy')).toBe(true);
    expect(needsSudo({ name: 'a', address: 'a', become: false }, 'deploy')).toBe(false);
    expect(needsSudo({ name: 'a', address: 'a', become: true }, 'root')).toBe(true);
  });
});

describe('why ssh failed, from what OpenSSH printed', () => {
  it('tells an unknown host key from a changed one', () => {
    expect(classifySshFailure('web01', 'No ED25519 host key is known for 172.17.0.2 and you have requested strict checking.\nHost key verification failed.\n').reason).toBe('host-key-unknown');
    const changed = classifySshFailure('web01', '@@@@@@@@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n@@@@@@@@@@@\nHost key verification failed.\n');
    expect(changed.reason).toBe('host-key-changed');
    expect(changed.detail).toMatch(/host key of web01 has changed/);
  });

  it('tells unreachable from a refused login', () => {
    expect(classifySshFailure('a', 'ssh: connect to host 10.0.0.5 port 22: Connection refused\n')).toEqual({ reason: 'unreachable', detail: 'a is unreachable: ssh: connect to host 10.0.0.5 port 22: Connection refused' });
    expect(classifySshFailure('a', 'ssh: connect to host 10.0.0.5 port 22: Connection timed out\n').reason).toBe('unreachable');
    expect(classifySshFailure('a', '', true).reason).toBe('unreachable');
    expect(classifySshFailure('a', 'root@10.0.0.5: Permission denied (publickey).\n').reason).toBe('auth');
    expect(classifySshFailure('a', 'something else\n')).toEqual({ reason: 'ssh-error', detail: 'ssh to a failed: something else' });
  });

  it('says sudo refused, for whom, and what to do', () => {
    expect(sudoRefused('web02', 'nosudo', 'sudo: a password is required\n').detail).toBe(
      'sudo refused on web02 for nosudo: sudo: a password is required (patchlab runs commands as root through sudo -n: give nosudo passwordless sudo, or log in as root)',
    );
  });
});
