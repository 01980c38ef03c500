import fc from 'fast-check';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadGossFile, parseGoss } from '../../lab/checks/goss-load.ts';
import { InputError } from '../../lab/config/validation.ts';

const definitions = join(import.meta.dirname, '..', '..', 'lab', 'images', 'definitions');
const fixtures = join(import.meta.dirname, '..', 'fixtures', 'checks');

function problemsOf(text: string): string {
  try {
    parseGoss(text, 'checks/web.goss.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).file).toBe('checks/web.goss.yaml');
    return (error as InputError).message;
  }
  throw new Error('expected the goss text to be refused');
}

describe('loading goss files', () => {
  it('loads the shipped web example in the order of the file', () => {
    const spec = loadGossFile(join(definitions, 'web', 'web.goss.yaml'));
    expect(spec.checks.map((c) => `${c.kind}:${c.key}`)).toEqual([
      'package:nginx-light',
      'process:nginx',
      'port:tcp:80',
      'http:http://localhost/healthz',
      'http:http://localhost/',
      'command:nginx -t',
      'file:/etc/nginx/sites-available/default',
    ]);
    const healthz = spec.checks.find((c) => c.key === 'http://localhost/healthz');
    expect(healthz?.attributes).toMatchObject({ status: { op: 'equal', value: 200 }, body: [{ op: 'contain-substring', value: 'ok' }] });
  });

  it('loads the shipped db example', () => {
    const spec = loadGossFile(join(definitions, 'db', 'db.goss.yaml'));
    expect(spec.checks.map((c) => c.kind)).toEqual(['package', 'process', 'port', 'command']);
  });

  it('reads goss vocabulary: exec, contents (goss 0.4) as well as contains, quoted and unquoted modes, skip', () => {
    const spec = parseGoss(
      [
        'command:',
        '  database answers:',
        '    exec: psql -c "select 1"',
        '    exit-status: 0',
        'file:',
        '  /etc/a: {contents: [x], mode: "0640"}',
        '  /etc/b: {contains: [x], mode: 0755}',
        'service:',
        '  nginx: {running: true, enabled: true, skip: true}',
      ].join('\n'),
      'inline.yaml',
    );
    const is = (value: unknown) => ({ op: 'equal', value });
    expect(spec.checks).toEqual([
      { kind: 'service', key: 'nginx', attributes: { running: is(true), enabled: is(true), skip: true } },
      { kind: 'command', key: 'database answers', attributes: { exec: 'psql -c "select 1"', 'exit-status': is(0) } },
      { kind: 'file', key: '/etc/a', attributes: { contents: [{ op: 'contain-substring', value: 'x' }], mode: is('0640') } },
      { kind: 'file', key: '/etc/b', attributes: { contains: [{ op: 'contain-substring', value: 'x' }], mode: is('0755') } },
    ]);
  });
});

describe('goss file errors name the file, the field and what was expected', () => {
  it('an unknown attribute, with the attributes that exist', () => {
    expect(problemsOf('http:\n  http://localhost/:\n    statuz: 200\n')).toContain(
      'checks/web.goss.yaml: http.http://localhost/.statuz: unknown attribute, expected one of url, method, status, allow-insecure,',
    );
  });

  it('an unknown top-level key, with the resource types that exist', () => {
    expect(problemsOf('users:\n  root: {exists: true}\n')).toContain(
      'users: unknown resource type, expected one of addr, command, dns, file, gossfile, group, http, interface, kernel-param, matching, mount, package, port, process, service, user',
    );
  });

  it('a value of the wrong type', () => {
    expect(problemsOf('package:\n  nginx: {installed: "yes"}\n')).toContain(
      'package.nginx.installed: expected true or false, or a matcher map such as {not: true}, got "yes"',
    );
    expect(problemsOf('http:\n  http://localhost/: {status: "200"}\n')).toContain(
      'http.http://localhost/.status: expected a whole number, or a matcher map such as {lt: 400}, got "200"',
    );
    expect(problemsOf('command:\n  ls: {timeout: 0}\n')).toContain('command.ls.timeout: expected a timeout in milliseconds, greater than 0');
    expect(problemsOf('file:\n  /etc/x: {filetype: fiel}\n')).toContain('file./etc/x.filetype: expected one of file, directory, symlink, pipe, socket, character-device, block-device, got "fiel"');
    expect(problemsOf('file:\n  /etc/x: {mode: "rw-r--r--"}\n')).toContain('file./etc/x.mode: expected an octal mode such as "0644", or a matcher map such as {or: ["0644", "0640"]}, got "rw-r--r--"');
  });

  it('a key that cannot name what it should', () => {
    expect(problemsOf('port:\n  sctp:53: {listening: true}\n')).toContain('port.sctp:53: expected tcp:PORT, tcp6:PORT, udp:PORT, udp6:PORT or PORT');
    expect(problemsOf('port:\n  "70000": {listening: true}\n')).toContain('port.70000: expected tcp:PORT, tcp6:PORT, udp:PORT, udp6:PORT or PORT with PORT from 1 to 65535');
    expect(problemsOf('http:\n  ftp://files/: {status: 200}\n')).toContain('http.ftp://files/: expected an http:// or https:// URL');
    expect(problemsOf('file:\n  etc/passwd: {exists: true}\n')).toContain('file.etc/passwd: expected an absolute path');
    expect(problemsOf('package:\n  "nginx; rm -rf /": {installed: true}\n')).toContain('package.nginx; rm -rf /: expected a Debian package name');
  });

  it('a matcher it does not support, or a regular expression that does not compile', () => {
    expect(problemsOf('command:\n  ls:\n    stdout: [ok, {contains-element: x}]\n')).toContain(
      'command.ls.stdout[1].contains-element: unknown matcher, expected one of equal, have-prefix',
    );
    expect(problemsOf('http:\n  http://localhost/:\n    body: ["/(unclosed/"]\n')).toContain(
      'http.http://localhost/.body[0]: expected a valid regular expression, got /(unclosed/',
    );
  });

  it('both names of file contents at once', () => {
    expect(problemsOf('file:\n  /etc/x: {contains: [a], contents: [b]}\n')).toContain(
      'file./etc/x: expected either contains (goss 0.3) or contents (goss 0.4), not both',
    );
  });

  it('an empty file, a list, a key given twice (goss would silently keep only the last), an alias to nothing', () => {
    expect(problemsOf('')).toContain('(top level): expected a map of goss resource types (addr, command, dns, file, gossfile, group, http, interface, kernel-param, matching, mount, package, port, process, service, user), got an empty file');
    expect(problemsOf('- package\n')).toContain('got a list');
    expect(problemsOf('file:\n  /a: {exists: true}\nfile:\n  /b: {exists: true}\n')).toContain('not valid YAML: Map keys must be unique');
    expect(problemsOf('package: *nginx\n')).toContain('not valid YAML: Unresolved alias');
  });

  it('every mistake in a file at once, from disk', () => {
    const file = join(fixtures, 'typo.goss.yaml');
    expect(() => loadGossFile(file)).toThrow(InputError);
    try {
      loadGossFile(file);
    } catch (error) {
      expect((error as InputError).problems).toEqual([
        'command.true.exit-status: expected a whole number, or a matcher map such as {lt: 400}, got "0"',
        expect.stringContaining('http.http://localhost/.statuz: unknown attribute'),
        expect.stringContaining('servce: unknown resource type'),
      ]);
      expect((error as InputError).message.startsWith(file)).toBe(true);
    }
  });

  it('a file that is not there', () => {
    expect(() => loadGossFile('/no/such/checks.yaml')).toThrow('/no/such/checks.yaml: cannot read the file: ENOENT');
  });
});

describe('goss loader properties', () => {
  // Keys from goss's vocabulary make the generator reach deep into the schema, not just the top level.
  const key = fc.oneof(
    fc.constantFrom(
      'package', 'service', 'process', 'port', 'http', 'command', 'file', 'gossfile', 'nginx', 'tcp:80', '80', 'udp:53',
      'http://localhost/', '/etc/x', 'rel/path', 'installed', 'versions', 'running', 'enabled', 'listening', 'status', 'body',
      'headers', 'timeout', 'method', 'request-headers', 'exec', 'exit-status', 'stdout', 'stderr', 'exists', 'contains',
      'contents', 'mode', 'owner', 'filetype', 'size', 'skip', 'not', 'and', 'or', 'match-regexp', 'contain-substring',
      'equal', 'contain-element', '__proto__', 'constructor',
    ),
    fc.string(),
  );
  const scalar = fc.oneof(fc.string(), fc.constantFrom('/[/', '!/(/', '0644', 'GET', 'file'), fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
  const value = fc.letrec<{ node: unknown }>((tie) => ({
    node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, fc.array(tie('node'), { maxLength: 3 }), fc.dictionary(key, tie('node'), { maxKeys: 4 })),
  })).node;

  it('any YAML document either loads or is refused with an InputError', () => {
    fc.assert(
      fc.property(value, (document) => {
        try {
          parseGoss(stringify(document), 'fuzz.yaml');
        } catch (error) {
          expect(error).toBeInstanceOf(InputError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('any text either loads or is refused with an InputError', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', ':', ' ', '\n', '-', '[', ']', '{', '}', '"', "'", '!', '&', '*', '#', '/') }), (text) => {
        try {
          parseGoss(text, 'fuzz.yaml');
        } catch (error) {
          expect(error).toBeInstanceOf(InputError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
