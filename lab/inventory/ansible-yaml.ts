import { fieldPath, InputError } from '../config/validation.ts';
import { expandHostPattern } from './host-range.ts';
import { RawInventory, type Vars } from './raw-inventory.ts';

type Path = (string | number)[];

/**
 * Reads an Ansible YAML inventory (already read from YAML): top-level groups, each with
 * `hosts:` (host name or range, then its variables or nothing), `children:` (groups, nested the
 * same way) and `vars:`. Pure. A problem names the field and what was expected.
 */
export function parseAnsibleYaml(data: unknown, file: string): RawInventory {
  const raw = new RawInventory(file, 'ansible-yaml');
  const problems: string[] = [];
  const fail = (path: Path, message: string) => problems.push(`${fieldPath(path)}: ${message}`);

  const varsOf = (value: unknown, path: Path): Vars => {
    const vars: Vars = new Map();
    if (value === null || value === undefined) return vars;
    if (!isMapping(value)) {
      fail(path, `expected a mapping of variables, got ${describe(value)}`);
      return vars;
    }
    for (const [key, v] of Object.entries(value)) vars.set(key, { value: v, where: fieldPath([...path, key]) });
    return vars;
  };

  const group = (name: string, value: unknown, path: Path): void => {
    raw.group(name, fieldPath(path));
    if (value === null || value === undefined) return;
    if (!isMapping(value)) {
      fail(path, `expected a group: a mapping with hosts, children or vars, got ${describe(value)}`);
      return;
    }
    for (const key of Object.keys(value)) {
      if (!['hosts', 'children', 'vars'].includes(key)) fail([...path, key], 'expected only hosts, children or vars in a group');
    }
    const { hosts, children, vars } = value as { hosts?: unknown; children?: unknown; vars?: unknown };
    for (const [key, sourced] of varsOf(vars, [...path, 'vars'])) raw.setGroupVar(name, key, sourced);
    if (hosts !== null && hosts !== undefined) {
      if (!isMapping(hosts)) fail([...path, 'hosts'], `expected a mapping of host names (each with its variables or nothing), got ${describe(hosts)}`);
      else {
        for (const [pattern, hostVars] of Object.entries(hosts)) {
          const hostPath = [...path, 'hosts', pattern];
          let names: string[];
          try {
            names = expandHostPattern(pattern);
          } catch (error) {
            fail(hostPath, (error as Error).message);
            continue;
          }
          const vars = varsOf(hostVars, hostPath);
          for (const host of names) raw.addHost(name, host, vars, fieldPath(hostPath));
        }
      }
    }
    if (children !== null && children !== undefined) {
      if (!isMapping(children)) fail([...path, 'children'], `expected a mapping of child groups, got ${describe(children)}`);
      else {
        for (const [child, childValue] of Object.entries(children)) {
          const childPath = [...path, 'children', child];
          raw.addChild(name, child, fieldPath(childPath));
          group(child, childValue, childPath);
        }
      }
    }
  };

  if (data === null || data === undefined) return raw;
  if (!isMapping(data)) throw new InputError(file, [`(top level): expected a mapping of groups (such as all:), got ${describe(data)}`]);
  for (const [name, value] of Object.entries(data)) group(name, value, [name]);
  if (problems.length > 0) throw new InputError(file, problems);
  return raw;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  return value === null ? 'nothing' : `${typeof value} ${JSON.stringify(value)}`.slice(0, 80);
}
