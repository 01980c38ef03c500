import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEBIAN_PACKAGE, DEBIAN_VERSION } from '../config/names.ts';

/** What a user asked to patch, before it is matched against what the image can upgrade. */
export interface PatchRequest {
  /** Every pending update from a security suite. */
  security: boolean;
  /** Every pending update. */
  all: boolean;
  packages: { name: string; version?: string }[];
  /** Local .deb files: a vendor hotfix, or a deliberately bad package in a test. */
  debs: string[];
}

export interface CandidatePatch {
  name: string;
  installed: string;
  candidate: string;
  /** bookworm-security, bookworm-updates, ... */
  suite: string;
  origin: string;
  security: boolean;
}

export interface SelectedPatch {
  packages: { name: string; version: string }[];
  debs: string[];
}

export class PatchRequestError extends Error {
  override name = 'PatchRequestError';
}

/**
 * Reads --patch values: `security`, `all`, package names (optionally name=version, comma
 * separated), or paths to .deb files. Every word is checked against Debian's grammar here, so
 * nothing else reaches apt or dpkg.
 */
export function parsePatchArgs(values: readonly string[], field = '--patch'): PatchRequest {
  const request: PatchRequest = { security: false, all: false, packages: [], debs: [] };
  const words = values.flatMap((v) => v.split(',')).map((w) => w.trim()).filter(Boolean);
  if (words.length === 0) throw new PatchRequestError(`${field}: expected "security", "all", package names or .deb files, got nothing`);
  for (const word of words) {
    if (word === 'security') request.security = true;
    else if (word === 'all') request.all = true;
    else if (word.endsWith('.deb')) {
      const path = resolve(word);
      if (!existsSync(path)) throw new PatchRequestError(`${field}: ${JSON.stringify(word)} is not a readable .deb file`);
      request.debs.push(path);
    } else {
      const [name = '', version, ...rest] = word.split('=');
      if (!DEBIAN_PACKAGE.test(name) || rest.length > 0) {
        throw new PatchRequestError(
          `${field}: ${JSON.stringify(word)} is not a Debian package name (expected lower case letters, digits, "+", "-", ".", optionally =version), nor "security", "all" or a .deb file`,
        );
      }
      if (version !== undefined && !DEBIAN_VERSION.test(version)) {
        throw new PatchRequestError(`${field}: ${JSON.stringify(version)} in ${JSON.stringify(word)} is not a Debian version`);
      }
      request.packages.push({ name, ...(version !== undefined ? { version } : {}) });
    }
  }
  return request;
}

/** Matches a request against the image's candidates. Pure. */
export function selectPatch(request: PatchRequest, candidates: readonly CandidatePatch[], image: string): SelectedPatch {
  const chosen = new Map<string, string>();
  for (const c of candidates) {
    if (request.all || (request.security && c.security)) chosen.set(c.name, c.candidate);
  }
  for (const wanted of request.packages) {
    const candidate = candidates.find((c) => c.name === wanted.name);
    if (!candidate) {
      const known = candidates.map((c) => c.name).join(', ') || 'none';
      throw new PatchRequestError(`--patch: package ${wanted.name} has no pending update on image ${image} (upgradable: ${known})`);
    }
    chosen.set(wanted.name, wanted.version ?? candidate.candidate);
  }
  return {
    packages: [...chosen].map(([name, version]) => ({ name, version })).sort((a, b) => a.name.localeCompare(b.name)),
    debs: [...request.debs],
  };
}

export function isEmptyPatch(patch: SelectedPatch): boolean {
  return patch.packages.length === 0 && patch.debs.length === 0;
}
