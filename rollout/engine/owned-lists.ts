
/*
 * Lists that one holder alone sees, so the transitions may edit them in place instead of copying
 * them. A simulator of a large fleet keeps only the latest state and makes tens of thousands of
 * transitions on a hundred thousand hosts: a copy of the host list and of the audit log at each
 * would cost more than everything else. Every other caller keeps the plain, copying transitions.
 */

const owned = new WeakSet<readonly unknown[]>();

export function ownList(list: readonly unknown[]): void {
  owned.add(list);
}

export function isOwned(list: readonly unknown[]): boolean {
  return owned.has(list);
}

/** The list with one more item at its end: the same list when it is owned, a copy otherwise. */
export function appended<T>(list: readonly T[], item: T): T[] {
  if (!owned.has(list)) return [...list, item];
  (list as T[]).push(item);
  return list as T[];
}
