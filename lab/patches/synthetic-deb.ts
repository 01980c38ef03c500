import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { assertPackageName } from '../config/names.ts';

export interface SyntheticDeb {
  name: string;
  version: string;
  description: string;
  /** Files the package ships, by absolute path. */
  files: { path: string; content: string; mode?: number }[];
  depends?: string[];
  /** Must be configured before this package is even unpacked (libpam-modules has one on libpam-modules-bin). */
  preDepends?: string[];
  postinst?: string;
  /** The Source field, when the source package is named otherwise. */
  source?: string;
  /** Debian changelog text, shipped gzipped as /usr/share/doc/<name>/changelog.Debian.gz, as every real package ships it. */
  changelog?: string;
  /** Symbolic links by absolute path, such as a doc folder linked to another package's (dh_installdocs --link-doc). */
  links?: { path: string; target: string }[];
}

/**
 * Builds a real .deb with dpkg-deb: a vendor hotfix stand-in, or a deliberately bad package
 * that rollouts and tests inject as a fault.
 */
export function buildDeb(spec: SyntheticDeb, outDir: string): string {
  assertPackageName(spec.name, 'synthetic package name');
  const root = mkdtempSync(join(tmpdir(), 'patchlab-deb-'));
  try {
    mkdirSync(join(root, 'DEBIAN'));
    const control = [
      `Package: ${spec.name}`,
      `Version: ${spec.version}`,
      'Architecture: all',
      'Maintainer: patchlab <patchlab@localhost>',
      ...(spec.source ? [`Source: ${spec.source}`] : []),
      ...(spec.preDepends?.length ? [`Pre-Depends: ${spec.preDepends.join(', ')}`] : []),
      ...(spec.depends?.length ? [`Depends: ${spec.depends.join(', ')}`] : []),
      `Description: ${spec.description.replace(/\n/g, ' ')}`,
      '',
    ].join('\n');
    writeFileSync(join(root, 'DEBIAN', 'control'), control);
    if (spec.postinst) {
      writeFileSync(join(root, 'DEBIAN', 'postinst'), spec.postinst);
      chmodSync(join(root, 'DEBIAN', 'postinst'), 0o755);
    }
    for (const file of spec.files) {
      const target = join(root, file.path);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, file.content);
      chmodSync(target, file.mode ?? 0o644);
    }
    if (spec.changelog !== undefined) {
      const doc = join(root, 'usr/share/doc', spec.name);
      mkdirSync(doc, { recursive: true });
      writeFileSync(join(doc, 'changelog.Debian.gz'), gzipSync(spec.changelog));
    }
    for (const link of spec.links ?? []) {
      mkdirSync(dirname(join(root, link.path)), { recursive: true });
      symlinkSync(link.target, join(root, link.path));
    }
    mkdirSync(outDir, { recursive: true });
    const out = join(outDir, `${spec.name}_${spec.version}_all.deb`);
    const result = spawnSync('dpkg-deb', ['--root-owner-group', '--build', root, out], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`dpkg-deb could not build ${spec.name}: ${result.stderr || result.error?.message}`);
    return out;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** A package whose only effect is a config file nginx refuses: the service does not come back after restart. */
export function nginxBreakingDeb(outDir: string): string {
  return buildDeb(
    {
      name: 'patchlab-nginx-tuning',
      version: '1.0-1',
      description: 'synthetic bad patch: ships an nginx config fragment with an unknown directive',
      depends: ['nginx-common'],
      files: [{ path: '/etc/nginx/conf.d/zz-patchlab-tuning.conf', content: 'worker_tuning_level aggressive;\n' }],
    },
    outDir,
  );
}

/** A package that makes the web image's /healthz answer addMs later: a latency regression from a real install. */
export function nginxLatencyDeb(outDir: string, addMs: number): string {
  const seconds = (Math.max(0, Math.round(addMs)) / 1000).toFixed(3);
  return buildDeb(
    {
      name: 'patchlab-healthz-latency',
      version: `1.0-${Math.round(addMs)}`,
      description: `synthetic latency regression: /healthz answers ${addMs} ms later`,
      depends: ['nginx-common'],
      files: [{ path: '/etc/nginx/patchlab-faults/healthz-latency.conf', content: `echo_sleep ${seconds};\n` }],
    },
    outDir,
  );
}

/**
 * A package whose postinst empties every initramfs, as a broken initramfs hook would: the host
 * runs on until its next boot, where the kernel cannot mount its root and panics.
 */
export function bootBreakingDeb(outDir: string): string {
  return buildDeb(
    {
      name: 'patchlab-initramfs-hook',
      version: '1.0-1',
      description: 'synthetic bad patch: leaves an empty initramfs, so the next boot cannot mount its root',
      files: [{ path: '/usr/share/doc/patchlab-initramfs-hook/README', content: 'breaks the next boot on purpose (a patchlab test fault)\n' }],
      postinst: '#!/bin/sh\nset -e\nfor f in /boot/initrd.img-*; do : > "$f"; done\n',
    },
    outDir,
  );
}
