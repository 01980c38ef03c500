import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Where the Debian archive is. Never written into the code: read from this machine's own apt
 * sources, so the lab uses whatever mirror the machine is already allowed to reach.
 */
export interface DebianMirror {
  /** Serves the suite and its -updates. */
  archive: string;
  /** Serves <suite>-security. */
  security: string;
}

export interface SourceEntry {
  uri: string;
  suites: string[];
  components: string[];
  file: string;
}

/** Parses both the one-line format (sources.list) and deb822 (.sources). Pure. */
export function parseSources(text: string, file: string): SourceEntry[] {
  if (file.endsWith('.sources')) return parseDeb822(text, file);
  const entries: SourceEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line.startsWith('deb ')) continue;
    const words = line.replace(/\[[^\]]*\]/, ' ').split(/\s+/).slice(1);
    const [uri, suite, ...components] = words;
    if (uri && suite) entries.push({ uri, suites: [suite], components, file });
  }
  return entries;
}

function parseDeb822(text: string, file: string): SourceEntry[] {
  const entries: SourceEntry[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    for (const line of stanza.split('\n')) {
      if (line.startsWith('#')) continue;
      const m = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
      if (m?.[1] && m[2] !== undefined) fields.set(m[1].toLowerCase(), m[2].trim());
    }
    if (!(fields.get('types') ?? '').split(/\s+/).includes('deb')) continue;
    if ((fields.get('enabled') ?? 'yes') === 'no') continue;
    const suites = (fields.get('suites') ?? '').split(/\s+/).filter(Boolean);
    const components = (fields.get('components') ?? '').split(/\s+/).filter(Boolean);
    for (const uri of (fields.get('uris') ?? '').split(/\s+/).filter(Boolean)) {
      entries.push({ uri, suites, components, file });
    }
  }
  return entries;
}

/** Picks the archive and security mirrors for a suite out of parsed entries. Pure. */
export function chooseMirror(entries: readonly SourceEntry[], suite: string): DebianMirror | undefined {
  const archive = entries.find((e) => e.suites.includes(suite))?.uri
    ?? entries.find((e) => e.suites.some((s) => s.startsWith(`${suite}-`) && !s.endsWith('-security')))?.uri;
  if (!archive) return undefined;
  const security = entries.find((e) => e.suites.includes(`${suite}-security`))?.uri
    // Debian publishes security updates beside the archive under the same name plus "-security".
    ?? `${archive.replace(/\/+$/, '')}-security`;
  return { archive: trimSlash(archive), security: trimSlash(security) };
}

function trimSlash(uri: string): string {
  return uri.replace(/\/+$/, '');
}

export interface MirrorOverrides {
  archive?: string;
  security?: string;
}

/** The suite of an image with no definition of its own (one a team built elsewhere), as definitions default to. */
export const DEFAULT_SUITE = 'bookworm';

/** The mirror of an image's suite: its definition's, or the default suite's. */
export function imageMirror(definition: { suite: string } | undefined, overrides: MirrorOverrides = {}): DebianMirror {
  return debianMirror(definition?.suite ?? DEFAULT_SUITE, overrides);
}

/**
 * Reads the machine's apt sources. PATCHLAB_MIRROR and PATCHLAB_SECURITY_MIRROR (or the
 * overrides) win over them.
 */
export function debianMirror(
  suite: string,
  overrides: MirrorOverrides = {},
  env: NodeJS.ProcessEnv = process.env,
  aptDir = '/etc/apt',
): DebianMirror {
  const archiveOverride = overrides.archive ?? env.PATCHLAB_MIRROR;
  const securityOverride = overrides.security ?? env.PATCHLAB_SECURITY_MIRROR;
  const entries: SourceEntry[] = [];
  const files = [join(aptDir, 'sources.list')];
  try {
    for (const name of readdirSync(join(aptDir, 'sources.list.d')).sort()) {
      if (name.endsWith('.list') || name.endsWith('.sources')) files.push(join(aptDir, 'sources.list.d', name));
    }
  } catch {
    // no sources.list.d: only sources.list counts
  }
  for (const file of files) {
    try {
      entries.push(...parseSources(readFileSync(file, 'utf8'), file));
    } catch {
      // an unreadable file holds no sources
    }
  }
  const found = chooseMirror(entries, suite);
  const archive = archiveOverride ?? found?.archive;
  if (!archive) {
    throw new Error(
      `no Debian mirror for suite ${suite} in ${files.join(', ')}; set PATCHLAB_MIRROR (or --mirror) to the archive's URL`,
    );
  }
  const security = securityOverride ?? (archiveOverride ? `${trimSlash(archiveOverride)}-security` : found?.security);
  return { archive: trimSlash(archive), security: trimSlash(security ?? `${archive}-security`) };
}
