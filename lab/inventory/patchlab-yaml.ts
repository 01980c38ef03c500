import { z } from 'zod';
import { describeIssues, InputError } from '../config/validation.ts';
import { LABEL_VAR_PREFIX } from './connection-vars.ts';
import { RawInventory, type Vars } from './raw-inventory.ts';

const word = (what: string) => z.string().regex(/^[^-\s\p{Cc}][^\s\p{Cc}]*$/u, `expected ${what} (no spaces, not starting with "-")`);
const name = word('a name');
const labels = z.record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_./-]*$/, 'expected a label key of letters, digits, "_", ".", "/", "-"'), z.string()).default({});
const connection = {
  port: z.number().int().min(1).max(65535).optional(),
  user: word('a user name').refine((u) => !u.includes('@'), 'expected a user name without "@"').optional(),
  key: z.string().min(1, 'expected a private key file path').optional(),
  become: z.boolean().optional(),
};

/**
 * patchlab's own inventory:
 *   defaults: { user: deploy, key: ~/.ssh/fleet }    # for every host (optional)
 *   hosts:
 *     web01: { address: 10.0.0.11, labels: { env: prod } }
 *     db01: { address: 10.0.0.21, port: 2222, user: root }
 *   groups:
 *     web: [web01]                                    # hosts, or:
 *     prod: { children: [web], hosts: [db01], labels: { tier: one } }
 */
export const patchlabInventorySchema = z.strictObject({
  defaults: z.strictObject(connection).optional(),
  hosts: z.record(name, z.strictObject({ address: word('a host name or address').optional(), ...connection, labels }).nullable()),
  groups: z
    .record(
      name,
      z.union([
        z.array(name),
        z.strictObject({ hosts: z.array(name).default([]), children: z.array(name).default([]), labels }),
      ]),
    )
    .default({}),
});

/** A YAML mapping is patchlab's format when its top-level keys are patchlab's (`hosts:` among them). */
export function isPatchlabInventory(data: unknown): boolean {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return false;
  const keys = Object.keys(data);
  return keys.includes('hosts') && keys.every((k) => ['defaults', 'hosts', 'groups'].includes(k));
}

const FIELD_VARS = { address: 'ansible_host', port: 'ansible_port', user: 'ansible_user', key: 'ansible_ssh_private_key_file', become: 'ansible_become' } as const;

/** Reads patchlab's format into the common form, fields as the Ansible variables they mean. Pure. */
export function parsePatchlabYaml(data: unknown, file: string): RawInventory {
  const parsed = patchlabInventorySchema.safeParse(data);
  if (!parsed.success) throw new InputError(file, describeIssues(parsed.error));
  const inventory = parsed.data;
  const raw = new RawInventory(file, 'patchlab');
  const toVars = (fields: Record<string, unknown>, at: string): Vars => {
    const vars: Vars = new Map();
    for (const [field, value] of Object.entries(fields)) {
      if (value === undefined) continue;
      if (field === 'labels') {
        for (const [k, v] of Object.entries(value as Record<string, string>)) vars.set(`${LABEL_VAR_PREFIX}${k}`, { value: v, where: `${at}.labels.${k}` });
      } else vars.set(FIELD_VARS[field as keyof typeof FIELD_VARS], { value, where: `${at}.${field}` });
    }
    return vars;
  };
  for (const [k, v] of toVars(inventory.defaults ?? {}, 'defaults')) raw.setGroupVar('all', k, v);
  for (const [host, fields] of Object.entries(inventory.hosts)) raw.addHost('all', host, toVars(fields ?? {}, `hosts.${host}`), `hosts.${host}`);
  const problems: string[] = [];
  for (const [group, body] of Object.entries(inventory.groups)) {
    const spec = Array.isArray(body) ? { hosts: body, children: [], labels: {} } : body;
    const hostsAt = Array.isArray(body) ? `groups.${group}` : `groups.${group}.hosts`;
    raw.group(group, `groups.${group}`);
    spec.hosts.forEach((host, i) => {
      if (!raw.hostVars.has(host)) problems.push(`${hostsAt}[${i}]: expected a host listed under hosts:, got ${JSON.stringify(host)}`);
      else raw.addHost(group, host, new Map(), `groups.${group}`);
    });
    spec.children.forEach((child, i) => {
      if (!(child in inventory.groups)) problems.push(`groups.${group}.children[${i}]: expected a group listed under groups:, got ${JSON.stringify(child)}`);
      else raw.addChild(group, child, `groups.${group}.children[${i}]`);
    });
    for (const [k, v] of toVars({ labels: spec.labels }, `groups.${group}`)) raw.setGroupVar(group, k, v);
  }
  if (problems.length > 0) throw new InputError(file, problems);
  return raw;
}
