import { debianMirror, type DebianMirror } from '../../lab/config/mirror.ts';

export { dockerStartup } from '../../lab/hosts/startup.ts';
export { newRunId } from '../../lab/run/run-id.ts';

export interface MirrorFlags {
  mirror?: string;
  securityMirror?: string;
}

export function mirrorFrom(flags: MirrorFlags, suite = 'bookworm'): DebianMirror {
  return debianMirror(suite, {
    ...(flags.mirror ? { archive: flags.mirror } : {}),
    ...(flags.securityMirror ? { security: flags.securityMirror } : {}),
  });
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
