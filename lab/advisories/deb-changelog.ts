import { execFile, spawn } from 'node:child_process';
import { basename, posix } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import tar from 'tar-stream';

/**
 * Thin I/O: what a .deb says about itself, read with the machine's own dpkg-deb (argv, never a
 * shell). The parsing of what comes out lives in changelog.ts.
 */

const run = promisify(execFile);

export interface DebIdentity {
  package: string;
  version: string;
  source: string;
  /** The source's version: the binary's unless the Source field names another (binNMU, version skew). */
  sourceVersion: string;
}

export async function readDebIdentity(file: string): Promise<DebIdentity> {
  const { stdout } = await run('dpkg-deb', ['--field', file, 'Package', 'Version', 'Source'], { maxBuffer: 1 << 20 });
  const field = (name: string) => new RegExp(`^${name}: (.*)$`, 'm').exec(stdout)?.[1]?.trim();
  const pkg = field('Package');
  const version = field('Version');
  if (!pkg || !version) throw new Error(`${file}: expected the control fields Package and Version, got ${JSON.stringify(stdout.slice(0, 200))}`);
  // "Source: glibc" or "Source: glibc (2.36-9+deb12u4)"; absent when source and binary share the name.
  const source = /^(\S+)(?: \((\S+)\))?$/.exec(field('Source') ?? '');
  return { package: pkg, version, source: source?.[1] ?? pkg, sourceVersion: source?.[2] ?? version };
}

export type DocChangelog =
  | { kind: 'changelog'; path: string; text: string }
  /** The doc folder is a symlink to another package's folder (dh_installdocs --link-doc). */
  | { kind: 'linked'; toPackage: string }
  | { kind: 'none' };

const HEADER_START = /^\w[-+0-9a-z.]* \(/i;

/**
 * The Debian changelog in `/usr/share/doc/<docPackage>/` of the .deb: changelog.Debian.gz, or
 * changelog.gz when that is a Debian changelog (a native package's). A version is no sure sign of
 * a native package, so the text decides: an upstream ChangeLog does not start with an entry header.
 */
export async function readDocChangelog(file: string, docPackage: string): Promise<DocChangelog> {
  const folder = `usr/share/doc/${docPackage}`;
  const child = spawn('dpkg-deb', ['--fsys-tarfile', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
  const extract = tar.extract();
  child.stdout.pipe(extract);
  let found: DocChangelog | undefined;
  let nativeFallback: DocChangelog | undefined;
  try {
    for await (const entry of extract) {
      const name = entry.header.name.replace(/^\.?\//, '').replace(/\/$/, '');
      if (name === folder && entry.header.type === 'symlink' && entry.header.linkname) {
        found = { kind: 'linked', toPackage: basename(posix.resolve(`/${folder}/..`, entry.header.linkname)) };
      } else if ((name === `${folder}/changelog.Debian.gz` || name === `${folder}/changelog.gz`) && entry.header.type === 'file') {
        const chunks: Buffer[] = [];
        for await (const chunk of entry) chunks.push(chunk as Buffer);
        const text = gunzip(Buffer.concat(chunks), `${file}:/${name}`);
        if (name.endsWith('.Debian.gz')) found = { kind: 'changelog', path: `/${name}`, text };
        else if (HEADER_START.test(text)) nativeFallback = { kind: 'changelog', path: `/${name}`, text };
      } else {
        entry.resume();
      }
      // Either answer is final: no need to unpack the rest of a large package.
      if (found) break;
    }
  } finally {
    if (found) {
      child.stdout.unpipe(extract);
      child.kill();
    }
  }
  const code = await exited;
  if (!found && code !== 0) throw new Error(`dpkg-deb --fsys-tarfile ${file} failed (exit ${code}): ${stderr.trim() || 'no message'}`);
  return found ?? nativeFallback ?? { kind: 'none' };
}

function gunzip(data: Buffer, where: string): string {
  try {
    return gunzipSync(data).toString('utf8');
  } catch (error) {
    throw new Error(`${where}: expected gzip data: ${(error as Error).message}`);
  }
}
