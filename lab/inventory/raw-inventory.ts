/**
 * What an inventory file says, before groups are closed over and variables merged: the common
 * form the three readers (patchlab YAML, Ansible INI, Ansible YAML) produce. Every value
 * remembers where it was written (a line, or a field path), for the error that names it.
 */
export interface Sourced {
  value: unknown;
  where: string;
}

export type Vars = Map<string, Sourced>;

export interface RawGroup {
  name: string;
  /** Hosts named in the group itself, in file order. */
  hosts: string[];
  children: string[];
  vars: Vars;
  /** Where the group first appears. */
  where: string;
}

export type InventoryFormat = 'patchlab' | 'ansible-ini' | 'ansible-yaml';

export class RawInventory {
  readonly groups = new Map<string, RawGroup>();
  /** Each host's own variables, merged over every place that names it; the map's order is first mention. */
  readonly hostVars = new Map<string, Vars>();
  readonly hostWhere = new Map<string, string>();
  /** The groups that list each host, in the order they list it. */
  readonly hostGroups = new Map<string, string[]>();
  /** Where each group was named as a child, for the error that reports a cycle. */
  readonly childWhere = new Map<string, string>();

  constructor(
    readonly file: string,
    readonly format: InventoryFormat,
  ) {
    this.group('all', '(implicit)');
    this.group('ungrouped', '(implicit)');
  }

  group(name: string, where: string): RawGroup {
    let group = this.groups.get(name);
    if (!group) {
      group = { name, hosts: [], children: [], vars: new Map(), where };
      this.groups.set(name, group);
    }
    return group;
  }

  /** Names a host in a group (again, maybe), with variables given there. */
  addHost(groupName: string, host: string, vars: Vars, where: string): void {
    const group = this.group(groupName, where);
    if (!group.hosts.includes(host)) group.hosts.push(host);
    const listed = this.hostGroups.get(host) ?? [];
    if (!listed.includes(groupName)) this.hostGroups.set(host, [...listed, groupName]);
    if (!this.hostVars.has(host)) {
      this.hostVars.set(host, new Map());
      this.hostWhere.set(host, where);
    }
    const own = this.hostVars.get(host) as Vars;
    for (const [key, value] of vars) own.set(key, value);
  }

  addChild(parent: string, child: string, where: string): void {
    const group = this.group(parent, where);
    this.group(child, where);
    if (!group.children.includes(child)) group.children.push(child);
    this.childWhere.set(`${parent}>${child}`, where);
  }

  setGroupVar(groupName: string, key: string, value: Sourced): void {
    this.group(groupName, value.where).vars.set(key, value);
  }
}
