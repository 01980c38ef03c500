/** A fleet host's own labels (its ring's `labels:`) as container labels, under a prefix of patchlab's, and back. */
const LABEL_PREFIX = 'patchlab.label.';

export function prefixed(labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).map(([k, v]) => [`${LABEL_PREFIX}${k}`, v]));
}

export function unprefixed(labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(labels)
      .filter(([k]) => k.startsWith(LABEL_PREFIX))
      .map(([k, v]) => [k.slice(LABEL_PREFIX.length), v]),
  );
}
