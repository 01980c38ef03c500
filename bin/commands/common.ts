import { debianMirror, type DebianMirror } from '../../lab/config/mirror.ts';

export { dockerStartup } from '../../lab/hosts/startup.ts';
export { newRunId } from '../../lab/run/run-id.ts';

export interface MirrorFlags {
  mirror?: string;
  securityMirror?: string;
}

/** The archives the flags override; the rest come from this machine's apt sources. */
export function mirrorOverrides(flags: MirrorFlags): { archive?: string; security?: string } {
  return { ...(flags.mirror ? { archive: flags.mirror } : {}), ...(flags.securityMirror ? { security: flags.securityMirror } : {}) };
}

export function mirrorFrom(flags: MirrorFlags, suite = 'bookworm'): DebianMirror {
  return debianMirror(suite, mirrorOverrides(flags));
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
