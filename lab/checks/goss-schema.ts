import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { DEBIAN_PACKAGE } from '../config/names.ts';
import { MatcherSyntaxError, parseMatcherList, type ScalarMeaning } from './matchers.ts';

/**
 * goss's own file vocabulary (https://goss.rocks), so existing goss files load unchanged, for the
 * resource types a container clone can answer: package, service, process, port, http, command,
 * file. Everything else is refused with the path and what was expected, never ignored: a check
 * that silently does nothing would pass a broken patch.
 */

export const GOSS_RESOURCE_TYPES = ['package', 'service', 'process', 'port', 'http', 'command', 'file'] as const;

export const FILE_TYPES = ['file', 'directory', 'symlink', 'pipe', 'socket', 'character-device', 'block-device'] as const;
export type FileType = (typeof FILE_TYPES)[number];

/** Like z.strictObject, but an unknown key's message lists what was expected. */
function attributes<S extends z.ZodRawShape>(shape: S) {
  const expected = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code === 'unrecognized_keys') return `unknown attribute, expected one of ${expected}`;
      if (issue.code === 'invalid_type') return `expected a map of attributes (${expected})`;
      return undefined;
    },
  });
}

function matcherList(scalar: ScalarMeaning) {
  return z.unknown().transform((value, ctx) => {
    try {
      return parseMatcherList(value, scalar);
    } catch (error) {
      if (!(error instanceof MatcherSyntaxError)) throw error;
      ctx.addIssue({ code: 'custom', message: error.message, path: error.path });
      return z.NEVER;
    }
  });
}

const textMatchers = matcherList('pattern');
const skip = z.boolean().optional();
const milliseconds = z.number().int().positive('expected a timeout in milliseconds, greater than 0');

/** goss writes modes as quoted octal ("0644"); an unquoted 0644 reaches us as the number 644, meant as octal too. */
const fileMode = z.union([z.string(), z.number()], { error: 'expected an octal mode such as "0644"' }).transform((value, ctx) => {
  const digits = String(value);
  if (!/^0?[0-7]{3,4}$/.test(digits)) {
    ctx.addIssue({ code: 'custom', message: `expected an octal mode such as "0644", got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  return Number.parseInt(digits, 8);
});

const packageAttributes = attributes({
  installed: z.boolean().optional(),
  versions: matcherList('equal').optional(),
  skip,
});

const serviceAttributes = attributes({ enabled: z.boolean().optional(), running: z.boolean().optional(), skip });

const processAttributes = attributes({ running: z.boolean().optional(), skip });

const portAttributes = attributes({ listening: z.boolean().optional(), skip });

const httpAttributes = attributes({
  status: z.number().int().min(100).max(599).optional(),
  body: textMatchers.optional(),
  headers: textMatchers.optional(),
  timeout: milliseconds.optional(),
  method: z.string().regex(/^[A-Z]+$/, 'expected an HTTP method in capitals such as GET or POST').optional(),
  'request-body': z.string().optional(),
  'request-headers': z.array(z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+:/, 'expected a "Name: value" header')).optional(),
  'no-follow-redirects': z.boolean().optional(),
  /** Accepted so goss files load; fetch from the lab always verifies certificates. */
  'allow-insecure': z.boolean().optional(),
  skip,
});

const commandAttributes = attributes({
  exec: z.string().min(1, 'expected the command to run').optional(),
  'exit-status': z.number().int().min(0).max(255).optional(),
  stdout: textMatchers.optional(),
  stderr: textMatchers.optional(),
  timeout: milliseconds.optional(),
  skip,
});

const fileAttributes = attributes({
  exists: z.boolean().optional(),
  /** goss 0.3's name for `contents`; both load, for files written for either version. */
  contains: textMatchers.optional(),
  contents: textMatchers.optional(),
  mode: fileMode.optional(),
  owner: z.string().min(1).optional(),
  group: z.string().min(1).optional(),
  filetype: z.enum(FILE_TYPES).optional(),
  size: z.number().int().min(0).optional(),
  skip,
}).refine((file) => !(file.contains && file.contents), {
  message: 'expected either contains (goss 0.3) or contents (goss 0.4), not both',
});

/** tcp:80, tcp6:80 or 80 (which goss reads as tcp:80). */
export const PORT_KEY = /^(?:(tcp6?):)?([0-9]{1,5})$/;

function checks<A extends z.ZodType>(key: z.ZodString, attrs: A, names: string) {
  return z.record(key, attrs, { error: `expected a map of ${names} to their attributes` }).optional();
}

export const gossFileSchema = z.strictObject(
  {
    package: checks(z.string().regex(DEBIAN_PACKAGE, 'expected a Debian package name'), packageAttributes, 'package names'),
    service: checks(z.string().min(1, 'expected a service name'), serviceAttributes, 'service names'),
    process: checks(z.string().min(1, 'expected a process name'), processAttributes, 'process names'),
    port: checks(
      z.string().refine((key) => {
        const port = Number(PORT_KEY.exec(key)?.[2]);
        return port >= 1 && port <= 65535;
      }, 'expected tcp:PORT, tcp6:PORT or PORT with PORT from 1 to 65535 (udp is not supported)'),
      portAttributes,
      'ports',
    ),
    http: checks(
      z.string().refine((key) => URL.canParse(key) && /^https?:$/.test(new URL(key).protocol), 'expected an http:// or https:// URL'),
      httpAttributes,
      'URLs',
    ),
    command: checks(z.string().min(1, 'expected a command'), commandAttributes, 'commands'),
    file: checks(z.string().refine((key) => isAbsolute(key), 'expected an absolute path'), fileAttributes, 'paths'),
  },
  {
    error: (issue) => {
      if (issue.code === 'unrecognized_keys') return `unknown resource type, expected one of ${GOSS_RESOURCE_TYPES.join(', ')}`;
      // Nested values report their own type errors; one arriving here is about the whole document.
      if (issue.code === 'invalid_type') {
        const input = issue.input;
        const got = input === null || input === undefined ? 'an empty file' : Array.isArray(input) ? 'a list' : `a ${typeof input}`;
        return `expected a map of goss resource types (${GOSS_RESOURCE_TYPES.join(', ')}), got ${got}`;
      }
      return undefined;
    },
  },
);

export type GossFile = z.infer<typeof gossFileSchema>;
export type PackageAttributes = z.infer<typeof packageAttributes>;
export type ServiceAttributes = z.infer<typeof serviceAttributes>;
export type ProcessAttributes = z.infer<typeof processAttributes>;
export type PortAttributes = z.infer<typeof portAttributes>;
export type HttpAttributes = z.infer<typeof httpAttributes>;
export type CommandAttributes = z.infer<typeof commandAttributes>;
export type FileAttributes = z.infer<typeof fileAttributes>;
