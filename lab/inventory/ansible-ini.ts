import { InputError } from '../config/validation.ts';
import { expandHostPattern } from './host-range.ts';
import { RawInventory, type Vars } from './raw-inventory.ts';

/**
 * Reads an Ansible INI inventory as Ansible does: `[group]` host lines with key=value variables,
 * `[group:vars]`, `[group:children]`, hosts before any section in `ungrouped`, `host:port`, host
 * ranges. Pure. Every problem names its line and what was expected.
 */
export function parseAnsibleIni(text: string, file: string): RawInventory {
  const raw = new RawInventory(file, 'ansible-ini');
  const problems: string[] = [];
  let section: { group: string; kind: 'hosts' | 'vars' | 'children' } = { group: 'ungrouped', kind: 'hosts' };
  text.split(/\r?\n/).forEach((line, index) => {
    const where = `line ${index + 1}`;
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) return;
    try {
      const header = /^\[([^\]]*)\]\s*(?:[#;].*)?$/.exec(trimmed);
      if (header) {
        section = parseHeader(header[1] ?? '');
        raw.group(section.group, where);
        return;
      }
      if (section.kind === 'vars') {
        const eq = trimmed.indexOf('=');
        if (eq <= 0) throw new Error(`expected key=value in [${section.group}:vars], got ${JSON.stringify(trimmed)}`);
        raw.setGroupVar(section.group, trimmed.slice(0, eq).trim(), { value: unquote(trimmed.slice(eq + 1).trim()), where });
      } else if (section.kind === 'children') {
        const words = splitWords(trimmed);
        if (words.length !== 1) throw new Error(`expected one group name in [${section.group}:children], got ${JSON.stringify(trimmed)}`);
        raw.addChild(section.group, words[0] as string, where);
      } else {
        const [pattern = '', ...assignments] = splitWords(trimmed);
        const vars: Vars = new Map();
        for (const word of assignments) {
          const eq = word.indexOf('=');
          if (eq <= 0) throw new Error(`expected key=value after the host name, got ${JSON.stringify(word)}`);
          vars.set(word.slice(0, eq), { value: word.slice(eq + 1), where });
        }
        const { name, port } = splitPort(pattern);
        if (port !== undefined) vars.set('ansible_port', { value: port, where });
        for (const host of expandHostPattern(name)) raw.addHost(section.group, host, vars, where);
      }
    } catch (error) {
      problems.push(`${where}: ${(error as Error).message}`);
    }
  });
  if (problems.length > 0) throw new InputError(file, problems);
  return raw;
}

function parseHeader(inside: string): { group: string; kind: 'hosts' | 'vars' | 'children' } {
  const [group = '', kind, ...more] = inside.trim().split(':');
  if (!/^[^\s:[\]]+$/.test(group) || more.length > 0) throw new Error(`expected [group], [group:vars] or [group:children], got [${inside}]`);
  if (kind === undefined) return { group, kind: 'hosts' };
  if (kind === 'vars' || kind === 'children') return { group, kind };
  throw new Error(`expected [${group}:vars] or [${group}:children], got the unknown section type ${JSON.stringify(kind)}`);
}

/** `host:22` and `web[01:03]:22` carry a port; a bare IPv6 address (several colons) does not. */
export function splitPort(pattern: string): { name: string; port?: string } {
  const outsideRanges = pattern.replace(/\[[^\]]*\]/g, '');
  const m = /^(.+):(\d+)$/.exec(pattern);
  if (m && (outsideRanges.match(/:/g) ?? []).length === 1) return { name: m[1] as string, port: m[2] as string };
  return { name: pattern };
}

/** A [group:vars] value is the rest of its line; quotes around it are removed, as Ansible's literal reading does. */
function unquote(value: string): string {
  const m = /^(["'])(.*)\1$/.exec(value);
  return m ? (m[2] as string) : value;
}

/**
 * Words as Python's shlex splits them (Ansible uses it): quotes group and are removed, a
 * backslash escapes the next character, and a word starting with # starts a comment.
 */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && (line[i + 1] === '"' || line[i + 1] === '\\')) word += line[++i];
      else word += c;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else if (c === '#' && !inWord) {
      break;
    } else {
      inWord = true;
      if (c === '"' || c === "'") quote = c;
      else if (c === '\\' && i + 1 < line.length) word += line[++i];
      else word += c;
    }
  }
  if (quote) throw new Error(`expected a closing ${quote}`);
  if (inWord) words.push(word);
  return words;
}
