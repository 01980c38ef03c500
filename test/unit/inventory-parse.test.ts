import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandHostPattern } from '../../lab/inventory/host-range.ts';
import { loadInventory, parseInventory } from '../../lab/inventory/load.ts';
import type { InventoryHost } from '../../lab/inventory/inventory.ts';
import { splitPort, splitWords } from '../../lab/inventory/ansible-ini.ts';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'inventory');
const byName = (hosts: InventoryHost[]) => Object.fromEntries(hosts.map((h) => [h.name, h]));

describe('Ansible inventories, read unchanged', () => {
  const ini = loadInventory(join(fixtures, 'ansible.ini'));
  const yaml = loadInventory(join(fixtures, 'ansible.yaml'));

  it('reads INI hosts, ranges, host:port, [group:vars] and [group:children] with Ansible precedence', () => {
    expect(ini.format).toBe('ansible-ini');
    const hosts = byName(ini.hosts);
    expect(Object.keys(hosts)).toEqual([
      'mail.example.com', 'web01.example.com', 'web02.example.com', 'web03.example.com', 'bar.example.com', 'one.example.com', 'two.example.com',
    ]);
    expect(hosts['mail.example.com']).toEqual({ name: 'mail.example.com', address: 'mail.example.com', groups: [], labels: {} });
    // Host variables win over prod's ansible_user; prod's port applies.
    expect(hosts['web02.example.com']).toMatchObject({ user: 'deploy', port: 22, groups: ['webservers', 'prod'] });
    expect(hosts['bar.example.com']).toMatchObject({ address: '192.0.2.10', port: 2222, user: 'ops', labels: { env: 'staging' } });
    // dbservers is deeper than prod, so its port wins; become and the key file come through.
    expect(hosts['one.example.com']).toMatchObject({ port: 2200, user: 'ops', keyFile: '~/.ssh/db_key', become: true });
    expect(hosts['one.example.com']?.labels).toEqual({ group: 'dbservers', 'group.dbservers': 'true', 'group.prod': 'true', tier: 'data' });
    expect(hosts['two.example.com']).toMatchObject({ user: 'root', port: 2200 });
    expect(ini.groups.prod).toEqual({ hosts: [], children: ['webservers', 'dbservers'] });
    expect(ini.groups.ungrouped?.hosts).toEqual(['mail.example.com']);
  });

  it('reads the same inventory in Ansible YAML to the same hosts', () => {
    expect(yaml.format).toBe('ansible-yaml');
    expect(yaml.hosts).toEqual(ini.hosts);
  });

  it('reads patchlab\'s own format: defaults, labels, groups as lists or with children', () => {
    const inventory = loadInventory(join(fixtures, 'patchlab.yaml'));
    expect(inventory.format).toBe('patchlab');
    const hosts = byName(inventory.hosts);
    expect(hosts.web01).toEqual({
      name: 'web01', address: '10.0.0.11', user: 'ops', groups: ['web', 'prod'],
      labels: { env: 'prod', group: 'web', 'group.web': 'true', 'group.prod': 'true' },
    });
    expect(hosts.db01).toMatchObject({ address: '10.0.0.21', port: 2222, user: 'root', keyFile: '~/.ssh/db_key', labels: { tier: 'data', group: 'db' } });
  });
});

describe('host ranges', () => {
  it('expand numbers with their width, letters, steps and several ranges', () => {
    expect(expandHostPattern('web[01:03].x')).toEqual(['web01.x', 'web02.x', 'web03.x']);
    expect(expandHostPattern('db-[a:c]')).toEqual(['db-a', 'db-b', 'db-c']);
    expect(expandHostPattern('n[0:10:5]')).toEqual(['n0', 'n5', 'n10']);
    expect(expandHostPattern('r[1:2]-[a:b]')).toEqual(['r1-a', 'r1-b', 'r2-a', 'r2-b']);
    expect(expandHostPattern('plain')).toEqual(['plain']);
  });

  it('refuse what is not a range, naming what was expected', () => {
    expect(() => expandHostPattern('web[3:1]')).toThrow(/start \(3\) not to exceed the end \(1\)/);
    expect(() => expandHostPattern('web[01:100]')).toThrow(/same width/);
    expect(() => expandHostPattern('web[a:Z]')).toThrow(/single letters of one case/);
    expect(() => expandHostPattern('web[1]')).toThrow(/expected \[start:end\]/);
    expect(() => expandHostPattern('web[0:99999999]')).toThrow(/at most 10000 hosts/);
  });
});

describe('INI lines', () => {
  it('split like shlex: quotes group, comments end the line', () => {
    expect(splitWords(`h a='x y' b="q\\"r" # note`)).toEqual(['h', 'a=x y', 'b=q"r']);
    expect(() => splitWords(`h a='x`)).toThrow(/closing '/);
  });
  it('take a port after the host name, but not inside an IPv6 address', () => {
    expect(splitPort('h.example:2222')).toEqual({ name: 'h.example', port: '2222' });
    expect(splitPort('web[01:03]:22')).toEqual({ name: 'web[01:03]', port: '22' });
    expect(splitPort('2001:db8::1')).toEqual({ name: '2001:db8::1' });
  });
});

describe('inventory errors name the file, the line or field, and what was expected', () => {
  const fail = (text: string, file: string) => {
    try {
      parseInventory(text, file);
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error('expected the inventory to be refused');
  };

  it('INI', () => {
    expect(fail('[web]\nh1 ansible_port=http\n', 'inv.ini')).toBe('inv.ini: line 2: ansible_port: expected a port number (1-65535), got "http"');
    expect(fail('[web:hosts]\n', 'inv.ini')).toMatch(/^inv\.ini: line 1: expected \[web:vars\] or \[web:children\], got the unknown section type "hosts"/);
    expect(fail('[web]\nh1 junk\n', 'inv.ini')).toMatch(/line 2: expected key=value after the host name, got "junk"/);
    expect(fail('[a:children]\nb\n[b:children]\na\n[a]\nh\n', 'inv.ini')).toMatch(/groups must not contain themselves, but (a contains b contains a|b contains a contains b)/);
    expect(fail('[web]\nh1 ansible_become=perhaps\n', 'inv.ini')).toMatch(/line 2: ansible_become: expected true or false/);
    expect(fail('[web]\nh1 ansible_host="{{ lookup(x) }}"\n', 'inv.ini')).toMatch(/does not evaluate Jinja/);
    expect(fail('[web]\nh1 ansible_host=-oProxyCommand=x\n', 'inv.ini')).toMatch(/ansible_host: expected a host name or address/);
  });

  it('Ansible YAML', () => {
    expect(fail('all:\n  hosts: [a, b]\n', 'inv.yaml')).toMatch(/^inv\.yaml: all\.hosts: expected a mapping of host names/);
    expect(fail('all:\n  children:\n    web:\n      host: {}\n', 'inv.yaml')).toMatch(/all\.children\.web\.host: expected only hosts, children or vars/);
    expect(fail('web:\n  hosts:\n    h1:\n      ansible_port: 70000\n', 'inv.yml')).toMatch(/web\.hosts\.h1\.ansible_port: ansible_port: expected a port number/);
    expect(fail('all:\n  hosts:\n    a: 1\n   b: 2\n', 'inv.yaml')).toMatch(/not valid YAML.*line/);
  });

  it('patchlab YAML', () => {
    expect(fail('hosts:\n  a: { port: "22" }\n', 'inv.yaml')).toMatch(/^inv\.yaml: hosts\.a\.port: /);
    expect(fail('hosts:\n  a:\ngroups:\n  web: [a, b]\n', 'inv.yaml')).toBe('inv.yaml: groups.web[1]: expected a host listed under hosts:, got "b"');
    expect(fail('hosts:\n  a:\ngroups:\n  web: { children: [nope] }\n', 'inv.yaml')).toMatch(/groups\.web\.children\[0\]: expected a group listed under groups:/);
    expect(fail('hosts:\n  a: { adress: x }\n', 'inv.yaml')).toMatch(/hosts\.a/);
  });

  it('a file that cannot be read', () => {
    expect(() => loadInventory('/no/such/inventory.ini')).toThrow(/^\/no\/such\/inventory\.ini: cannot read the inventory: ENOENT/);
  });
});
