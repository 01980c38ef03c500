/** What each role may do; a higher role may do everything a lower one may. */
export const ROLES = ['viewer', 'release-manager', 'admin'] as const;

export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export function roleAtLeast(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

/** Steering a rollout and refreshing patch discovery (which starts a container). */
export const canAct = (role: Role): boolean => roleAtLeast(role, 'release-manager');

/** Adding, changing and removing users. */
export const canAdminister = (role: Role): boolean => roleAtLeast(role, 'admin');

export const ROLE_LABELS: Record<Role, string> = { viewer: 'viewer', 'release-manager': 'release manager', admin: 'admin' };
