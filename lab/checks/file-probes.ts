import { probe, type ProbeContext } from './host-probes.ts';

/** What goss's file resource reads beyond stat: where a link points, and the file's checksums. */

/** One level, as goss's os.Readlink: the link's own text, not the file at the end of a chain. */
export async function linkTarget(ctx: ProbeContext, path: string): Promise<string | undefined> {
  const result = await probe(ctx, ['readlink', '--', path]);
  return result.exitCode === 0 ? result.stdout.replace(/\n$/, '') : undefined;
}

export type Digest = 'md5' | 'sha256' | 'sha512';

/** The file's checksum in hex, or why it could not be read (a directory, no permission). */
export async function checksum(ctx: ProbeContext, path: string, digest: Digest): Promise<{ hex: string } | { unreadable: string }> {
  const result = await probe(ctx, [`${digest}sum`, '--', path]);
  if (result.exitCode !== 0) return { unreadable: result.stderr.trim() };
  // A name with a backslash or newline makes sum tools prefix the line with "\"; the digest is still the first word.
  return { hex: result.stdout.replace(/^\\/, '').split(' ')[0] ?? '' };
}
