import fc from 'fast-check';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadGossFile, type GossCheck } from '../../lab/checks/goss-load.ts';
import { runGossChecks } from '../../lab/checks/goss-run.ts';
import { PROCESS_LISTING } from '../../lab/checks/host-probes.ts';
import { scriptedHost } from '../fixtures/checks/scripted-host.ts';
import {
  anyValue,
  attempt,
  FUZZ,
  FUZZ_FEW,
  getIn,
  metaString,
  pathsOf,
  problemAt,
  renameKey,
  scratch,
  setIn,
  stringPathsOf,
  write,
  wrongTypeFor,
  yaml,
  type Path,
} from '../fixtures/fuzz/kit.ts';

/*
 * Issue 6, "Bad input": the goss loader (lab/checks/goss-load.ts over goss-schema.ts), from a real
 * file, and what its checks send to a host. goss defines a `command` check as a shell command: it
 * runs as the single argument of `sh -c` on the disposable host under test, which is the user's
 * own check doing what it says. Every other string from the file reaches the host only as a whole
 * argv element, never inside a shell string.
 */

const { dir, remove } = scratch('fuzz-goss');
afterAll(remove);
const file = join(dir, 'fuzz.goss.yaml');

function base() {
  return {
    package: { 'nginx-light': { installed: true, versions: ['1.22.1-9'] } },
    service: { nginx: { enabled: true, running: true } },
    process: { nginx: { running: true } },
    port: { 'tcp:80': { listening: true } },
    http: {
      'http://localhost/healthz': {
        status: 200,
        body: ['ok', '/o+k/', '!error'],
        headers: [{ 'contain-substring': 'nginx' }],
        timeout: 5000,
        method: 'GET',
        'request-body': 'a=1',
        'request-headers': ['X-Fuzz: yes'],
        'no-follow-redirects': true,
        'allow-insecure': false,
        username: 'alice',
        password: 'secret',
        'ca-file': '/etc/ssl/certs/ca.pem',
        proxy: 'http://proxy:3128',
      },
    },
    command: {
      'nginx -t': {
        exec: 'nginx -t',
        'exit-status': 0,
        stdout: ['ok'],
        stderr: ['syntax is ok', { not: { 'match-regexp': 'emerg' } }, { and: ['a', { 'have-prefix': 'nginx' }] }],
        timeout: 10000,
      },
    },
    file: {
      '/etc/nginx/nginx.conf': { exists: true, filetype: 'file', contents: ['http'], mode: '0644', owner: 'root', group: 'root', size: 10, sha256: 'ab12', uid: 0 },
      '/etc/nginx/sites-enabled/default': { filetype: 'symlink', 'linked-to': '/etc/nginx/sites-available/default', md5: 'cd34' },
    },
    user: { 'www-data': { exists: true, uid: 33, gid: { lt: 100 }, groups: ['www-data'], home: '/var/www', shell: '/usr/sbin/nologin' } },
    group: { 'www-data': { exists: true, gid: 33 } },
    'kernel-param': { 'kernel.ostype': { value: 'Linux' } },
    mount: { '/': { exists: true, opts: ['rw'], 'vfs-opts': ['rw'], source: 'overlay', filesystem: 'overlay', usage: { lt: 95 }, timeout: 1000 } },
    interface: { eth0: { exists: true, addrs: { 'contain-element': { 'have-prefix': '172.' } }, mtu: 1500 } },
    addr: { 'tcp://127.0.0.1:80': { reachable: true, timeout: 500, 'local-address': '127.0.0.1' } },
    dns: { 'MX:example.org': { resolvable: true, addrs: ['10 mx.example.org.'], server: '127.0.0.1:5353', timeout: 500 } },
    matching: { count: { content: 14, matches: { gt: 0 } }, versions: { content: ['1.0.1'], matches: { 'semver-constraint': '>1.0.0' } } },
    gossfile: { 'common.goss.yaml': { skip: true } },
  };
}

const PATHS = pathsOf(base());
const STRING_PATHS = stringPathsOf(base());
/** Where a key is a name the file chooses: [resource type, key]. */
const KEY_PATHS: Path[] = Object.entries(base())
  // A gossfile key names a file to include, not a check; includes have tests of their own.
  .filter(([kind]) => kind !== 'gossfile')
  .flatMap(([kind, group]) => Object.keys(group).map((key) => [kind, key]));

function load(doc: unknown) {
  write(file, yaml(doc));
  return attempt(file, () => loadGossFile(file));
}

function loadsOrNames(doc: unknown, path: Path) {
  const outcome = load(doc);
  if ('error' in outcome) expect(outcome.error.problems.some((p) => problemAt(p, path)), outcome.error.message).toBe(true);
  return outcome;
}

/** The texts in a loaded attribute: plain strings, and matchers' {op, value}, {op: not, matcher}, {op: and, matchers}. */
function textsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(textsIn);
  if (typeof value !== 'object' || value === null) return [];
  const { value: text, matcher, matchers } = value as { value?: unknown; matcher?: unknown; matchers?: unknown };
  return [...(typeof text === 'string' ? [text] : []), ...textsIn(matcher), ...textsIn(matchers)];
}

/** Every word patchlab itself writes into a probe's argv (lab/checks/host-probes.ts). */
const FIXED_WORDS = new Set([
  'dpkg-query', '-W', '-f=${db:Status-Status}\t${Version}\n', 'sh', '-c', PROCESS_LISTING,
  'cat', '/proc/net/tcp', '/proc/net/tcp6', 'stat', '%F\t%a\t%U\t%G\t%s\t%u\t%g', '--', 'sha256sum',
  'getent', 'passwd', 'group', 'id', '-Gn', 'ip', '-o', 'addr', 'show', 'dev',
]);
/** The arguments of the in-host perl for this test's addr and dns checks: words of the file's own. */
const PERL_ARGUMENTS = new Set(['tcp', '127.0.0.1', '80', '', 'example.org', 'MX', '53', 'localhost']);

describe('goss loader fuzzing', () => {
  it('the base of the fuzzing loads', () => {
    expect('value' in load(base())).toBe(true);
  });

  it('one field of another type is refused naming that field (or the file still loads)', () => {
    const mutation = fc.constantFrom(...PATHS).chain((path) => fc.tuple(fc.constant(path), wrongTypeFor(getIn(base(), path))));
    fc.assert(
      fc.property(mutation, ([path, to]) => void loadsOrNames(setIn(base(), path, to), path)),
      FUZZ,
    );
  });

  it('huge and odd values anywhere are refused naming the field, or load', () => {
    const huge = fc.oneof(
      fc.integer({ min: 1_000, max: 100_000 }).map((n) => 'x'.repeat(n)),
      fc.constantFrom(1e308, -1e308, 2 ** 64, 5e-324, Infinity, Number.NaN, -0),
      fc.integer({ min: 1_000, max: 3_000 }).map((n) => Array(n).fill('ok')),
      fc.integer({ min: 10, max: 60 }).map((n) => Array.from({ length: n }).reduce<unknown>((inner) => ({ not: inner }), 'deep')),
      anyValue,
    );
    fc.assert(
      fc.property(fc.constantFrom(...PATHS), huge, (path, to) => void loadsOrNames(setIn(base(), path, to), path)),
      FUZZ_FEW,
    );
  });

  it('shell and control characters in any string attribute are kept as written, or refused naming the attribute', () => {
    fc.assert(
      fc.property(fc.constantFrom(...STRING_PATHS), metaString, (path, text) => {
        const outcome = loadsOrNames(setIn(base(), path, text), path);
        if (!('value' in outcome)) return;
        const [kind, key, attribute] = path as [GossCheck['kind'], string, string];
        const check = outcome.value.checks.find((c) => c.kind === kind && c.key === key);
        const value = (check?.attributes as Record<string, unknown> | undefined)?.[attribute];
        // Plain text is kept to the character; so is a matcher's text, unless it starts with one of
        // goss's pattern operators ("!x" negates, "\\x" escapes, "/re/" is a regular expression).
        // A plain string attribute is kept as written, or as the value its default matcher equals.
        if (typeof getIn(base(), path.slice(0, 3)) === 'string') expect(typeof value === 'string' ? [value] : textsIn(value)).toContain(text);
        else if (!/^[!\\/]/.test(text)) expect(textsIn(value)).toContain(text);
      }),
      FUZZ,
    );
  });

  it('shell and control characters in a resource name: kept as written where goss allows any name, refused naming it where not', () => {
    fc.assert(
      fc.property(fc.constantFrom(...KEY_PATHS), metaString, (path, name) => {
        const [kind] = path as [GossCheck['kind']];
        const outcome = load(renameKey(base(), path, name));
        if ('error' in outcome) {
          expect(outcome.error.problems.some((p) => problemAt(p, [kind, name])), outcome.error.message).toBe(true);
          // Only names with a grammar may be refused: a command, service, process or matching may be called anything.
          expect(['package', 'port', 'http', 'file', 'user', 'group', 'kernel-param', 'mount', 'interface', 'addr', 'dns']).toContain(kind);
          return;
        }
        const keys = outcome.value.checks.filter((c) => c.kind === kind).map((c) => c.key);
        expect(keys).toContain(name);
        expect(keys).toHaveLength(Object.keys(getIn(base(), [kind]) as object).length);
        if (kind === 'package') throw new Error(`package name ${JSON.stringify(name)} was accepted`);
      }),
      FUZZ_FEW,
    );
  });

  it('nothing from the file reaches a shell, except a command check, which is the shell command goss defines', async () => {
    // http checks are fetched from the lab, and matching asks the host nothing; the rest all run probes.
    const accepted = (grammar: RegExp) => metaString.map((n) => Array.from(n).slice(0, 15).join('')).filter((n) => grammar.test(n));
    const hostile = fc.record({
      pkg: fc.constantFrom('nginx-light', 'libc6', 'a+b.c-d'),
      service: metaString,
      process: metaString,
      command: metaString,
      exec: metaString,
      path: metaString.map((p) => `/${p}`),
      owner: metaString,
      pattern: metaString,
      user: accepted(/^[^\s:/\\\p{Cc}]+$/u),
      group: accepted(/^[^\s:/\\\p{Cc}]+$/u),
      iface: accepted(/^(?!\.\.?$|-)[^\s/:\p{Cc}]{1,15}$/u),
      param: fc.constantFrom('kernel.ostype', 'net.ipv4.ip_forward', 'fs.file-max'),
    });
    /** The perl each in-host network check runs: fixed text, the same whatever the file says. */
    const scripts = new Set<string>();
    await fc.assert(
      fc.asyncProperty(hostile, async (s) => {
        const doc = {
          package: { [s.pkg]: { installed: true, versions: [s.pattern] } },
          service: { [s.service]: { running: true } },
          process: { [s.process]: { running: false } },
          port: { 'tcp6:443': { listening: true } },
          command: { [s.command]: { stdout: [s.pattern] }, 'with exec': { exec: s.exec } },
          file: { [s.path]: { exists: true, owner: s.owner, contents: [s.pattern], sha256: 'ab12' } },
          user: { [s.user]: { exists: true, groups: ['adm'] } },
          group: { [s.group]: { gid: 4 } },
          'kernel-param': { [s.param]: { value: s.pattern } },
          interface: { [s.iface]: { mtu: 1500, addrs: ['10.0.0.1/8'] } },
          addr: { 'tcp://127.0.0.1:80': { reachable: true, 'local-address': '127.0.0.1' } },
          dns: { 'MX:example.org': { resolvable: true, server: '127.0.0.1' }, localhost: { resolvable: true } },
          matching: { hostile: { content: s.pattern, matches: s.pattern } },
        };
        const outcome = load(doc);
        if (!('value' in outcome)) throw new Error(`refused: ${outcome.error.message}`);
        // A host that runs nothing and records every argv it is given.
        const { target, calls: argvs } = scriptedHost(() => ({}));
        await runGossChecks(outcome.value, target, { timeoutMs: 1_000 });
        // Names from the file, as whole words, or inside a path patchlab builds from them (no shell reads either).
        const fromFile = new Set([s.pkg, s.path, s.user, s.group, s.iface, `/sys/class/net/${s.iface}/mtu`, `/proc/sys/${s.param.replaceAll('.', '/')}`]);
        const commands = new Set([s.command, s.exec]);
        expect(argvs.length).toBeGreaterThan(0);
        for (const argv of argvs) {
          if (argv[0] === 'sh') {
            // sh -c with one script: patchlab's own fixed one, or a command check's command, verbatim.
            expect(argv).toHaveLength(3);
            expect(argv[1]).toBe('-c');
            expect(argv[2] === PROCESS_LISTING || commands.has(argv[2] as string), JSON.stringify(argv)).toBe(true);
            continue;
          }
          if (argv[2] === 'perl') {
            // timeout LIMIT perl -e SCRIPT ARG...: the script fixed, each argument a word of the file's own.
            expect(argv.slice(0, 4)).toEqual(['timeout', expect.stringMatching(/^\d+\.\d{3}$/), 'perl', '-e']);
            scripts.add(argv[4] as string);
            for (const word of argv.slice(5)) expect(PERL_ARGUMENTS.has(word) || /^\d+\.\d{3}$/.test(word), JSON.stringify(argv)).toBe(true);
            continue;
          }
          // Anything else: patchlab's own words, and the file's strings as whole words only.
          for (const word of argv) expect(FIXED_WORDS.has(word) || fromFile.has(word), JSON.stringify(argv)).toBe(true);
          // A path or account name from the file comes after "--", so even "-rf" could not be read as an option.
          for (const name of [s.path, s.user, s.group]) if (argv.includes(name)) expect(argv.indexOf('--'), JSON.stringify(argv)).toBe(argv.indexOf(name) - 1);
        }
        // The command check's command is sent exactly once, as written, with no prefix or suffix.
        expect(argvs.filter((a) => a[0] === 'sh' && a[2] === s.command)).toHaveLength(s.command === s.exec ? 2 : 1);
      }),
      FUZZ_FEW,
    );
    // addr's and dns's: two scripts for a hundred hostile files.
    expect(scripts.size).toBe(2);
  });
});
