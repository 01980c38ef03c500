import type { Vars } from './raw-inventory.ts';

/** How a host is reached, read from Ansible's connection variables (or patchlab's own fields). */
export interface ConnectionFields {
  address?: string;
  port?: number;
  user?: string;
  keyFile?: string;
  become?: boolean;
}

/** Ansible's names, newest first; the older `ansible_ssh_*` spellings still appear in inventories. */
const NAMES = {
  address: ['ansible_host', 'ansible_ssh_host'],
  port: ['ansible_port', 'ansible_ssh_port'],
  user: ['ansible_user', 'ansible_ssh_user'],
  keyFile: ['ansible_ssh_private_key_file', 'ansible_private_key_file'],
  become: ['ansible_become'],
} as const;

/** A variable whose value names a label: `patchlab_label_env: prod` gives the label env=prod. */
export const LABEL_VAR_PREFIX = 'patchlab_label_';

const TRUE_WORDS = new Set(['true', 'yes', 'on', '1', 'y', 't']);
const FALSE_WORDS = new Set(['false', 'no', 'off', '0', 'n', 'f']);

/** Reads merged variables; a problem is returned as "where: name: expected ..., got ...". Pure. */
export function connectionFields(vars: Vars): { fields: ConnectionFields; problems: string[] } {
  const fields: ConnectionFields = {};
  const problems: string[] = [];
  const pick = (names: readonly string[]) => {
    const name = names.find((n) => vars.has(n));
    return name === undefined ? undefined : { name, ...(vars.get(name) as { value: unknown; where: string }) };
  };
  const text = (names: readonly string[], what: string, check: (s: string) => boolean) => {
    const found = pick(names);
    if (!found) return undefined;
    const value = typeof found.value === 'number' ? String(found.value) : found.value;
    if (typeof value === 'string' && value.includes('{{')) {
      problems.push(`${found.where}: ${found.name}: expected a plain value, got the template ${JSON.stringify(value)} (patchlab does not evaluate Jinja)`);
    } else if (typeof value !== 'string' || !check(value)) {
      problems.push(`${found.where}: ${found.name}: expected ${what}, got ${JSON.stringify(found.value)}`);
    } else return value;
    return undefined;
  };
  const wordOk = (s: string) => /^[^-\s\p{Cc}][^\s\p{Cc}]*$/u.test(s);
  const address = text(NAMES.address, 'a host name or address', wordOk);
  if (address !== undefined) fields.address = address;
  const port = text(NAMES.port, 'a port number (1-65535)', (s) => /^\d{1,5}$/.test(s) && Number(s) >= 1 && Number(s) <= 65535);
  if (port !== undefined) fields.port = Number(port);
  const user = text(NAMES.user, 'a user name', (s) => wordOk(s) && !s.includes('@'));
  if (user !== undefined) fields.user = user;
  const keyFile = text(NAMES.keyFile, 'a key file path', (s) => s.length > 0 && !/\p{Cc}/u.test(s));
  if (keyFile !== undefined) fields.keyFile = keyFile;
  const become = pick(NAMES.become);
  if (become) {
    const word = String(become.value).toLowerCase();
    if (typeof become.value === 'boolean') fields.become = become.value;
    else if (TRUE_WORDS.has(word)) fields.become = true;
    else if (FALSE_WORDS.has(word)) fields.become = false;
    else problems.push(`${become.where}: ${become.name}: expected true or false (yes/no), got ${JSON.stringify(become.value)}`);
  }
  return { fields, problems };
}

/** Labels from `patchlab_label_*` variables; scalar values only. */
export function varLabels(vars: Vars): { labels: Record<string, string>; problems: string[] } {
  const labels: Record<string, string> = {};
  const problems: string[] = [];
  for (const [name, { value, where }] of vars) {
    if (!name.startsWith(LABEL_VAR_PREFIX)) continue;
    const key = name.slice(LABEL_VAR_PREFIX.length);
    if (key === '' || (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean')) {
      problems.push(`${where}: ${name}: expected ${LABEL_VAR_PREFIX}<label> with a text value, got ${JSON.stringify(value)}`);
    } else labels[key] = String(value);
  }
  return { labels, problems };
}
