import { InputError } from '../config/validation.ts';
import type { ServerTarget } from '../hosts/ssh/server-connection.ts';
import { connectionFields, varLabels } from './connection-vars.ts';
import type { InventoryFormat, RawInventory, Vars } from './raw-inventory.ts';

/** A server of the inventory: how to reach it, its groups and its labels. */
export interface InventoryHost extends ServerTarget {
  /** Every group it is in, directly or as a member of a child group; `all` and `ungrouped` left out. Direct groups first, in file order. */
  groups: string[];
  /**
   * Labels for ring selectors: `group` is the first group that lists it (group=web), and
   * `group.<name>` is "true" for every group it is in, so a host in web and prod matches both.
   * `patchlab_label_<key>` variables (patchlab's `labels:`) add their own.
   */
  labels: Record<string, string>;
}

export interface Inventory {
  file: string;
  format: InventoryFormat;
  hosts: InventoryHost[];
  /** Each group's direct hosts and child groups, as written. */
  groups: Record<string, { hosts: string[]; children: string[] }>;
}

const IMPLICIT = new Set(['all', 'ungrouped']);

/**
 * Closes the groups over their children and merges variables as Ansible does: `all` first,
 * then groups from the shallowest to the deepest (by name within a depth), the host's own last.
 * Throws an InputError naming the file and where each problem was written. Hosts in no group
 * are added to `ungrouped`, in `raw` itself.
 */
export function resolveInventory(raw: RawInventory): Inventory {
  markUngrouped(raw);
  const parents = parentsOf(raw);
  const depth = depthsOf(raw, parents);
  const problems: string[] = [];
  const hosts: InventoryHost[] = [];
  for (const [name, ownVars] of raw.hostVars) {
    const direct = raw.hostGroups.get(name) ?? [];
    const closure = ancestors(direct, parents);
    const ordered = [...closure, 'all'].sort((a, b) => (depth.get(a) ?? 0) - (depth.get(b) ?? 0) || a.localeCompare(b));
    const vars: Vars = new Map();
    for (const group of ordered) for (const [k, v] of raw.groups.get(group)?.vars ?? []) vars.set(k, v);
    for (const [k, v] of ownVars) vars.set(k, v);
    const { fields, problems: connectionProblems } = connectionFields(vars);
    const { labels: extra, problems: labelProblems } = varLabels(vars);
    problems.push(...connectionProblems, ...labelProblems);
    const named = direct.filter((g) => !IMPLICIT.has(g));
    const groups = [...named, ...[...closure].filter((g) => !IMPLICIT.has(g) && !named.includes(g)).sort()];
    const labels: Record<string, string> = { ...extra };
    if (named[0]) labels.group = named[0];
    for (const g of groups) labels[`group.${g}`] = 'true';
    hosts.push({ name, ...fields, address: fields.address ?? name, groups, labels });
  }
  if (problems.length > 0) throw new InputError(raw.file, [...new Set(problems)]);
  const groups: Inventory['groups'] = {};
  for (const g of raw.groups.values()) groups[g.name] = { hosts: [...g.hosts], children: [...g.children] };
  return { file: raw.file, format: raw.format, hosts, groups };
}

/** Every group's parents; a group nobody names as a child is a child of `all`, as in Ansible. */
function parentsOf(raw: RawInventory): Map<string, Set<string>> {
  const parents = new Map<string, Set<string>>();
  for (const g of raw.groups.keys()) parents.set(g, new Set());
  for (const g of raw.groups.values()) for (const child of g.children) parents.get(child)?.add(g.name);
  for (const [name, set] of parents) if (name !== 'all' && set.size === 0) set.add('all');
  if ((parents.get('all')?.size ?? 0) > 0) {
    const by = [...(parents.get('all') ?? [])];
    throw new InputError(raw.file, [`${raw.childWhere.get(`${by[0]}>all`) ?? by[0]}: group all cannot be a child of ${by.join(', ')}: it holds every group`]);
  }
  return parents;
}

/** Longest path from `all`; a cycle of children is refused, with the groups that make it. */
function depthsOf(raw: RawInventory, parents: Map<string, Set<string>>): Map<string, number> {
  const depth = new Map<string, number>();
  const visiting: string[] = [];
  const visit = (group: string): number => {
    const known = depth.get(group);
    if (known !== undefined) return known;
    const at = visiting.indexOf(group);
    if (at >= 0) {
      const cycle = [...visiting.slice(at), group];
      const where = raw.childWhere.get(`${group}>${visiting[visiting.length - 1]}`) ?? raw.groups.get(group)?.where ?? '';
      throw new InputError(raw.file, [`${where}: groups must not contain themselves, but ${cycle.reverse().join(' contains ')}`]);
    }
    visiting.push(group);
    let d = 0;
    for (const parent of parents.get(group) ?? []) d = Math.max(d, visit(parent) + 1);
    visiting.pop();
    depth.set(group, d);
    return d;
  };
  for (const g of raw.groups.keys()) visit(g);
  return depth;
}

function ancestors(direct: readonly string[], parents: Map<string, Set<string>>): Set<string> {
  const seen = new Set<string>();
  const stack = [...direct];
  while (stack.length > 0) {
    const g = stack.pop() as string;
    if (seen.has(g)) continue;
    seen.add(g);
    for (const p of parents.get(g) ?? []) stack.push(p);
  }
  seen.delete('all');
  return seen;
}

/** Hosts in no group of their own belong to `ungrouped`, as in Ansible. */
function markUngrouped(raw: RawInventory): RawInventory {
  for (const host of raw.hostVars.keys()) {
    const inGroup = (raw.hostGroups.get(host) ?? []).some((g) => !IMPLICIT.has(g));
    if (!inGroup) raw.addHost('ungrouped', host, new Map(), raw.hostWhere.get(host) ?? '');
  }
  return raw;
}
