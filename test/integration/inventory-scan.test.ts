import { execFile } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mustExec } from '../../lab/hosts/host.ts';
import { SshHost, SshHostError } from '../../lab/hosts/ssh/ssh-host.ts';
import { loadInventory } from '../../lab/inventory/load.ts';
import type { HostScan } from '../../lab/inventory/scan/host-scan.ts';
import { scanInventory } from '../../lab/inventory/scan/scan-inventory.ts';
import { projectRoot } from '../../lab/config/paths.ts';
import { hostKeyAs, startStandIns, type StandIns } from '../fixtures/ssh-servers.ts';

const run = promisify(execFile);
const runId = `test-inventory-${process.pid}`;

/** What apt itself says is upgradable on a server, and which of it comes from the -security archive. */
function aptListUpgradable(text: string): { all: string[]; security: string[] } {
  const rows = text.split('\n').map((l) => /^([^/\s]+)\/(\S+) .*\[upgradable from: /.exec(l)).filter((m) => m !== null);
  return {
    all: rows.map((m) => m[1] as string).sort(),
    security: rows.filter((m) => (m[2] as string).split(',').some((a) => a.endsWith('-security'))).map((m) => m[1] as string).sort(),
  };
}

describe('inventory scan of existing servers over SSH', () => {
  let standIns: StandIns;
  let home: string;
  let inventoryFile: string;
  const server = (name: string) => standIns.servers.find((s) => s.name === name) as StandIns['servers'][number];

  beforeAll(async () => {
    // impostor: srv1's address, checked against srv2's host key (as if another machine answered there).
    standIns = await startStandIns(['srv1', 'srv2', 'srv3'], runId, (servers) => `Host impostor
  HostName ${servers[0]?.address}
  HostKeyAlias impostor
`);
    appendFileSync(standIns.knownHosts, hostKeyAs(standIns.knownHosts, server('srv2').address, 'impostor'));
    home = mkdtempSync(join(tmpdir(), 'patchlab-home-'));
    inventoryFile = join(standIns.dir, 'hosts.ini');
    // An Ansible INI inventory, as a team keeps it.
    writeFileSync(inventoryFile, `[web]
srv1 ansible_host=${server('srv1').address}
srv2 ansible_host=${server('srv2').address} ansible_user=deploy

[db]
srv3 ansible_host=${server('srv3').address} ansible_ssh_private_key_file=${join(standIns.dir, 'id_ed25519')}

[prod:children]
web
db

[broken]
impostor
nosudo ansible_host=${server('srv2').address} ansible_user=nosudo
`);
    // A service running a library that has since been replaced, and a pending reboot.
    await mustExec(server('srv1').docker, ['sh', '-c', 'cp "$(find /usr/lib /lib -name "libz.so.1" | head -n1)" /usr/local/lib/libstale.so.1 && LD_PRELOAD=/usr/local/lib/libstale.so.1 setsid sleep 3600 </dev/null >/dev/null 2>&1 & sleep 0.5; rm /usr/local/lib/libstale.so.1']);
    await mustExec(server('srv3').docker, ['sh', '-c', 'echo "*** System restart required ***" > /var/run/reboot-required && echo libc6 > /var/run/reboot-required.pkgs']);
  });

  afterAll(async () => {
    await standIns?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  const cli = (...args: string[]) =>
    run(join(projectRoot, 'bin', 'patchlab'), args, { env: { ...process.env, PATCHLAB_HOME: home }, maxBuffer: 32 * 1024 * 1024 }).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );

  it('lists each server\'s pending security updates as its own apt does; a changed host key and a refused sudo are rows with their reasons', async () => {
    const result = await cli('inventory', 'scan', '--inventory', inventoryFile, '--ssh-config', standIns.sshConfig, '--json');
    expect(result.code, result.stderr).toBe(1); // two servers of `broken` cannot be scanned
    const rows = JSON.parse(result.stdout) as HostScan[];
    const row = (name: string) => rows.find((r) => r.host === name) as HostScan;
    expect(rows.map((r) => r.host)).toEqual(['srv1', 'srv2', 'srv3', 'impostor', 'nosudo']);

    const kernel = (await mustExec(server('srv1').docker, ['uname', '-r'])).stdout.trim();
    for (const name of ['srv1', 'srv2', 'srv3']) {
      const scan = row(name);
      expect(scan.error, JSON.stringify(scan.error)).toBeUndefined();
      expect(scan).toMatchObject({ suite: 'bookworm', kernel });
      expect(scan.installedPackages).toBeGreaterThan(80);
      // The scan refreshed the server's lists; apt on the server now says the same.
      const apt = aptListUpgradable((await mustExec(server(name).docker, ['apt', 'list', '--upgradable'], { env: { LC_ALL: 'C' } })).stdout);
      const pending = scan.pending ?? [];
      expect(pending.filter((p) => p.security).map((p) => p.name).sort()).toEqual(apt.security);
      expect(pending.map((p) => p.name).sort()).toEqual(apt.all);
      expect(apt.security.length).toBeGreaterThan(0);
    }
    expect(row('srv1').groups).toEqual(['web', 'prod']);
    expect(row('srv3').groups).toEqual(['db', 'prod']);
    expect(row('srv1').stale?.processes).toContainEqual(expect.objectContaining({ command: 'sleep', libraries: ['/usr/local/lib/libstale.so.1'] }));
    expect(row('srv3')).toMatchObject({ rebootRequired: true, rebootPackages: ['libc6'] });
    expect(row('srv1').rebootRequired).toBe(false);

    expect(row('impostor').error?.reason).toBe('host-key-changed');
    expect(row('nosudo').error).toMatchObject({ reason: 'sudo-refused' });
    expect(row('nosudo').error?.message).toMatch(/^sudo refused on nosudo for nosudo: sudo: a password is required/);

    // `patchlab inventory` shows the stored scans as a table.
    const table = await cli('inventory', '--inventory', inventoryFile);
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^host\s+groups\s+suite\s+kernel\s+security\s+other\s+reboot\s+scanned/);
    const srv3 = lines.find((l) => l.startsWith('srv3 '));
    expect(srv3).toMatch(new RegExp(`^srv3\\s+db,prod\\s+bookworm\\s+\\S+\\s+${row('srv3').pending?.filter((p) => p.security).length}\\s+\\d+\\s+yes\\s+just now`));
    expect(lines.find((l) => l.startsWith('nosudo '))).toContain('sudo refused');
  });

  it('reaches a server as a Host: argv kept literal through sudo, files byte for byte; stop() leaves the server running', async () => {
    const target = loadInventory(inventoryFile).hosts.find((h) => h.name === 'srv2');
    const host = await SshHost.connect(target as NonNullable<typeof target>, { configFile: standIns.sshConfig });
    try {
      expect(host.kind).toBe('server');
      expect(host.loginUser).toBe('deploy');
      const hostile = `$(touch /tmp/pwned); \`id\` | true && echo 'nope'`;
      expect((await host.exec(['printf', '%s', hostile])).stdout).toBe(hostile);
      expect((await host.exec(['test', '-e', '/tmp/pwned'])).exitCode).toBe(1);
      expect((await host.exec(['id', '-u'])).stdout.trim()).toBe('0');
      expect((await host.exec(['id', '-un'], { user: 'nosudo' })).stdout.trim()).toBe('nosudo');
      expect(await host.exec(['sh', '-c', 'echo out; echo err >&2; exit 3'])).toMatchObject({ exitCode: 3, stdout: 'out\n', stderr: 'err\n', timedOut: false });
      expect((await host.exec(['sleep', '30'], { timeoutMs: 1_000 })).timedOut).toBe(true);
      const content = Buffer.from([0, 1, 2, 250, 255, 10, 13]);
      await host.copyIn([{ path: '/opt/probe/data.bin', content, mode: 0o600 }]);
      expect(await host.copyOut('/opt/probe/data.bin')).toEqual(content);
      expect((await mustExec(server('srv2').docker, ['stat', '-c', '%a %U', '/opt/probe/data.bin'])).stdout.trim()).toBe('600 root');
      await expect(host.copyOut('/no/such/file')).rejects.toThrow(/no\/such\/file/);
    } finally {
      await host.stop();
    }
    // Only the connection closed: the server, patchlab's or not, is never stopped or removed.
    const info = await new Docker().getContainer(server('srv2').docker.id).inspect();
    expect(info.State.Running).toBe(true);
    expect((await mustExec(server('srv2').docker, ['sh', '-c', 'pgrep -x sshd >/dev/null && echo up'])).stdout.trim()).toBe('up');
  });

  it('refuses a host whose key is not in known_hosts, and a stopped sshd gives an unreachable row', async () => {
    const unknownKey = join(standIns.dir, 'ssh_config_empty_known_hosts');
    writeFileSync(unknownKey, `Host *\n  User root\n  IdentityFile ${join(standIns.dir, 'id_ed25519')}\n  IdentitiesOnly yes\n  UserKnownHostsFile /dev/null\n  GlobalKnownHostsFile /dev/null\n`);
    const srv3 = loadInventory(inventoryFile).hosts.find((h) => h.name === 'srv3') as NonNullable<ReturnType<typeof loadInventory>['hosts'][number]>;
    await expect(SshHost.connect(srv3, { configFile: unknownKey })).rejects.toMatchObject({ reason: 'host-key-unknown' } satisfies Partial<SshHostError>);

    await mustExec(server('srv3').docker, ['sh', '-c', 'kill "$(cat /run/sshd.pid)"; while pgrep -x sshd >/dev/null; do sleep 0.1; done']);
    const [row] = await scanInventory({ ...loadInventory(inventoryFile), hosts: [srv3] }, { client: { configFile: standIns.sshConfig, connectTimeoutSeconds: 5 } });
    expect(row?.error?.reason).toBe('unreachable');
    expect(row?.error?.message).toMatch(/Connection refused/);
    expect(row).toMatchObject({ host: 'srv3', groups: ['db', 'prod'] });
  });
});
