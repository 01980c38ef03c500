import { randomBytes } from 'node:crypto';

/** Sortable by time, unique enough for one machine, and safe in a container name and a label. */
export function newRunId(kind: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  return `${kind}-${stamp}-${randomBytes(2).toString('hex')}`;
}
