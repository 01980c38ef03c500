import type { Host, HostSpec } from '../../../lab/hosts/host.ts';

/**
 * The disk-full fault. Docker's overlay2 here has no per-container quota, so the full disk is a
 * small tmpfs over the one directory every Debian package writes into (its copyright, which
 * even the demo image's doc exclusions keep), filled to the last byte: dpkg then fails to unpack the patch with a real
 * "No space left on device" and backs out, as on a host whose disk is full.
 */
export const FULL_DIRECTORY = '/usr/share/doc';
const SIZE_BYTES = 64 * 1024;

export function fullDisk(): NonNullable<HostSpec['tmpfs']> {
  return [{ target: FULL_DIRECTORY, sizeBytes: SIZE_BYTES }];
}

/** Fills the host's small disk; dd stops at the first write the disk refuses. */
export async function fillDisk(host: Host): Promise<void> {
  const filled = await host.exec(['dd', 'if=/dev/zero', `of=${FULL_DIRECTORY}/.patchlab-disk-full`, 'bs=4096']);
  if (!/No space left on device/.test(filled.stderr)) {
    throw new Error(`fleet host ${host.name}: the disk-full fault could not fill ${FULL_DIRECTORY}: ${filled.stderr.trim()}`);
  }
}
