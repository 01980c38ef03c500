import { z } from 'zod';
import { anyExpectation, attributes, expectation, fileMode, milliseconds, patterns } from './goss-expect.ts';

/**
 * goss's own file vocabulary (https://goss.rocks, "gossfile"), all sixteen resource types with
 * the attributes goss's manual gives them, so existing goss files load unchanged. Anything else
 * is refused with the path and what was expected, never ignored: a check that silently does
 * nothing would pass a broken patch. What each attribute means on a container: goss-run.ts.
 */

export const FILE_TYPES = ['file', 'directory', 'symlink', 'pipe', 'socket', 'character-device', 'block-device'] as const;
export type FileType = (typeof FILE_TYPES)[number];

const text = z.string().min(1, 'expected a non-empty string');
const flag = z.boolean().optional();

const RESOURCES = {
  addr: attributes({
    address: text.optional(),
    'local-address': text.optional(),
    reachable: expectation('boolean').optional(),
    timeout: milliseconds.optional(),
  }),
  command: attributes({
    exec: text.optional(),
    'exit-status': expectation('integer').optional(),
    stdout: patterns.optional(),
    stderr: patterns.optional(),
    timeout: milliseconds.optional(),
  }),
  dns: attributes({
    resolve: text.optional(),
    resolvable: expectation('boolean').optional(),
    /** goss's older spelling, still read by goss. */
    resolveable: expectation('boolean').optional(),
    addrs: expectation('list').optional(),
    server: text.optional(),
    timeout: milliseconds.optional(),
  }).refine((dns) => !(dns.resolvable && dns.resolveable), { message: 'expected either resolvable or its older spelling resolveable, not both' }),
  file: attributes({
    path: text.optional(),
    exists: expectation('boolean').optional(),
    mode: fileMode.optional(),
    size: expectation('integer').optional(),
    owner: expectation('string').optional(),
    uid: expectation('integer').optional(),
    group: expectation('string').optional(),
    gid: expectation('integer').optional(),
    'linked-to': expectation('string').optional(),
    filetype: expectation('string', FILE_TYPES).optional(),
    /** goss 0.3's name for `contents`; both load, for files written for either version. */
    contains: patterns.optional(),
    contents: patterns.optional(),
    md5: expectation('string').optional(),
    sha256: expectation('string').optional(),
    sha512: expectation('string').optional(),
  }).refine((file) => !(file.contains && file.contents), { message: 'expected either contains (goss 0.3) or contents (goss 0.4), not both' }),
  gossfile: attributes({ file: text.optional() }),
  group: attributes({ groupname: text.optional(), exists: expectation('boolean').optional(), gid: expectation('integer').optional() }),
  http: attributes({
    url: text.optional(),
    method: z.string().regex(/^[A-Z]+$/, 'expected an HTTP method in capitals such as GET or POST').optional(),
    status: expectation('integer').optional(),
    'allow-insecure': flag,
    'no-follow-redirects': flag,
    timeout: milliseconds.optional(),
    'request-headers': z.array(z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+:/, 'expected a "Name: value" header')).optional(),
    'request-body': z.string().optional(),
    headers: patterns.optional(),
    body: patterns.optional(),
    username: z.string().optional(),
    password: z.string().optional(),
    'ca-file': text.optional(),
    'cert-file': text.optional(),
    'key-file': text.optional(),
    proxy: z.string().refine((p) => p === '' || (URL.canParse(p) && new URL(p).protocol === 'http:'), 'expected an http:// proxy URL such as http://proxy:3128').optional(),
  }).refine((http) => !http['cert-file'] === !http['key-file'], { message: 'expected cert-file and key-file together (a client certificate needs its key)' }),
  interface: attributes({ name: text.optional(), exists: expectation('boolean').optional(), addrs: expectation('list').optional(), mtu: expectation('integer').optional() }),
  'kernel-param': attributes({ name: text.optional(), value: expectation('scalar').optional() }),
  matching: attributes({
    content: z.unknown().optional(),
    matches: anyExpectation,
  }),
  mount: attributes({
    mountpoint: text.optional(),
    exists: expectation('boolean').optional(),
    opts: expectation('list').optional(),
    'vfs-opts': expectation('list').optional(),
    source: expectation('string').optional(),
    filesystem: expectation('string').optional(),
    usage: expectation('integer').optional(),
    timeout: milliseconds.optional(),
  }),
  package: attributes({ name: text.optional(), installed: expectation('boolean').optional(), versions: expectation('list').optional() }),
  port: attributes({ port: text.optional(), listening: expectation('boolean').optional(), ip: expectation('list').optional() }),
  process: attributes({ comm: text.optional(), running: expectation('boolean').optional() }),
  service: attributes({
    name: text.optional(),
    enabled: expectation('boolean').optional(),
    running: expectation('boolean').optional(),
    runlevels: expectation('list').optional(),
  }),
  user: attributes({
    username: text.optional(),
    exists: expectation('boolean').optional(),
    uid: expectation('integer').optional(),
    gid: expectation('integer').optional(),
    groups: expectation('list').optional(),
    home: expectation('string').optional(),
    shell: expectation('string').optional(),
  }),
};

export type ResourceType = keyof typeof RESOURCES;
export const GOSS_RESOURCE_TYPES = Object.keys(RESOURCES) as ResourceType[];
export type AttributesOf<K extends ResourceType> = z.infer<(typeof RESOURCES)[K]>;

function describeDocument(input: unknown): string {
  if (input === null || input === undefined) return 'an empty file';
  return Array.isArray(input) ? 'a list' : `a ${typeof input}`;
}

export const gossFileSchema = z.strictObject(
  Object.fromEntries(
    GOSS_RESOURCE_TYPES.map((type) => [type, z.record(z.string(), RESOURCES[type], { error: `expected a map of ${type} names to their attributes` }).optional()]),
  ),
  {
    error: (issue) => {
      if (issue.code === 'unrecognized_keys') return `unknown resource type, expected one of ${GOSS_RESOURCE_TYPES.join(', ')}`;
      // Nested values report their own type errors; one arriving here is about the whole document.
      if (issue.code === 'invalid_type') return `expected a map of goss resource types (${GOSS_RESOURCE_TYPES.join(', ')}), got ${describeDocument(issue.input)}`;
      return undefined;
    },
  },
);

/** A goss document once validated: each resource type's entries, by key, in the file's order. */
export type GossFile = { [K in ResourceType]?: Record<string, AttributesOf<K>> };
