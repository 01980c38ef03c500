import { isAbsolute } from 'node:path';
import { DEBIAN_PACKAGE } from '../config/names.ts';
import type { ResourceType } from './goss-schema.ts';

/**
 * What each resource is about: goss takes it from the key, or from the attribute that names it
 * (`path`, `url`, `address`, ...) when the key is only a label. Where that has a grammar it is
 * checked when loading, so a probe never gets a name it could misread. Pure.
 */

/** tcp:80, tcp6:80, udp:53, udp6:53 or 80 (which goss reads as tcp:80). */
export const PORT_KEY = /^(?:(tcp6?|udp6?):)?([0-9]{1,5})$/;
/** tcp://host:port or udp://host:port, an IPv6 host in brackets. */
export const ADDR_KEY = /^(tcp|udp):\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):([0-9]{1,5})$/;
/** goss's typed DNS queries ("MX:example.com"); without a type, A and AAAA as the system resolves them. */
export const DNS_TYPES = ['A', 'AAAA', 'CAA', 'CNAME', 'MX', 'NS', 'PTR', 'SRV', 'TXT'] as const;
export const DNS_KEY = /^(?:([A-Z]+):)?([A-Za-z0-9_.:-]{1,253})$/;
/** host, host:port or [v6]:port. */
export const DNS_SERVER = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9._-]+)|([0-9A-Fa-f:]+))(?::([0-9]{1,5}))?$/;

const NAME = /^[^\s:/\\\p{Cc}]+$/u;
/** No slash (it is a directory under /sys/class/net), no leading dash (ip would read an option). */
const INTERFACE = /^(?!\.\.?$|-)[^\s/:\p{Cc}]{1,15}$/u;
const SYSCTL = /^(?!.*(?:^|[./])\.\.(?:$|[./]))[A-Za-z0-9_][A-Za-z0-9_.:@/+-]*$/;

const validPort = (text: string | undefined) => Number(text) >= 1 && Number(text) <= 65535;

interface Target {
  /** The attribute that overrides the key. */
  attribute: string;
  /** Why this target cannot be what it names; undefined when it can. */
  problem(target: string): string | undefined;
}

const anyName: Target['problem'] = () => undefined;

export const TARGETS: Partial<Record<ResourceType, Target>> = {
  addr: {
    attribute: 'address',
    problem: (t) => (validPort(ADDR_KEY.exec(t)?.[3]) ? undefined : 'expected tcp://HOST:PORT or udp://HOST:PORT, with PORT from 1 to 65535'),
  },
  command: { attribute: 'exec', problem: anyName },
  dns: {
    attribute: 'resolve',
    problem: (t) => {
      const m = DNS_KEY.exec(t);
      if (!m) return 'expected a host name, or TYPE:NAME such as MX:example.com';
      if (m[1] && !(DNS_TYPES as readonly string[]).includes(m[1])) return `expected a record type among ${DNS_TYPES.join(', ')}, got ${m[1]}`;
      return undefined;
    },
  },
  file: { attribute: 'path', problem: (t) => (isAbsolute(t) ? undefined : 'expected an absolute path') },
  group: { attribute: 'groupname', problem: (t) => (NAME.test(t) ? undefined : 'expected a group name (no spaces, colons or slashes)') },
  http: {
    attribute: 'url',
    problem: (t) => (URL.canParse(t) && /^https?:$/.test(new URL(t).protocol) ? undefined : 'expected an http:// or https:// URL'),
  },
  interface: { attribute: 'name', problem: (t) => (INTERFACE.test(t) ? undefined : 'expected a network interface name such as eth0 (at most 15 characters)') },
  'kernel-param': { attribute: 'name', problem: (t) => (SYSCTL.test(t) ? undefined : 'expected a kernel parameter such as net.ipv4.ip_forward') },
  mount: { attribute: 'mountpoint', problem: (t) => (isAbsolute(t) ? undefined : 'expected an absolute path') },
  package: { attribute: 'name', problem: (t) => (DEBIAN_PACKAGE.test(t) ? undefined : 'expected a Debian package name') },
  port: {
    attribute: 'port',
    problem: (t) => (validPort(PORT_KEY.exec(t)?.[2]) ? undefined : 'expected tcp:PORT, tcp6:PORT, udp:PORT, udp6:PORT or PORT with PORT from 1 to 65535'),
  },
  process: { attribute: 'comm', problem: anyName },
  service: { attribute: 'name', problem: anyName },
  user: { attribute: 'username', problem: (t) => (NAME.test(t) ? undefined : 'expected a user name (no spaces, colons or slashes)') },
};

/** What the resource names: its attribute when given, its key otherwise. */
export function targetOf(type: ResourceType, key: string, attributes: object): string {
  const attribute = TARGETS[type]?.attribute;
  const named = attribute ? (attributes as Record<string, unknown>)[attribute] : undefined;
  return typeof named === 'string' ? named : key;
}

/** A dns resource's server as host and port (53 unless given), or undefined when it names none. */
export function dnsServer(server: string): { host: string; port: number } | undefined {
  const m = DNS_SERVER.exec(server);
  if (!m) return undefined;
  const port = m[4] === undefined ? 53 : Number(m[4]);
  return validPort(String(port)) ? { host: m[1] ?? m[2] ?? m[3] ?? '', port } : undefined;
}

const LOCAL_ADDRESS = /^(?:[0-9A-Fa-f:.]+|[A-Za-z0-9._-]+)$/;

/**
 * What is wrong with the names a resource gives: its target, a dns server, an addr's local
 * address. Each problem's path is relative to the resource type ([key] or [key, attribute]).
 */
export function targetProblems(type: ResourceType, key: string, attributes: object): { path: string[]; message: string }[] {
  const attrs = attributes as Record<string, unknown>;
  const problems: { path: string[]; message: string }[] = [];
  const target = TARGETS[type];
  if (target) {
    const named = typeof attrs[target.attribute] === 'string';
    const message = target.problem(targetOf(type, key, attributes));
    if (message) problems.push({ path: named ? [key, target.attribute] : [key], message });
  }
  if (type === 'dns' && typeof attrs.server === 'string' && !dnsServer(attrs.server)) {
    problems.push({ path: [key, 'server'], message: 'expected a DNS server as HOST, HOST:PORT or [IPv6]:PORT' });
  }
  if (type === 'addr' && typeof attrs['local-address'] === 'string' && !LOCAL_ADDRESS.test(attrs['local-address'])) {
    problems.push({ path: [key, 'local-address'], message: 'expected a local IP address or host name' });
  }
  return problems;
}
